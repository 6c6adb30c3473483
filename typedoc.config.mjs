// TypeDoc: the API reference of what the package exports (`npm run docs`, written to docs/api/, which git ignores),
// one module per subpath of package.json's "exports", named as an app imports it (`yibao-guard/idb`). The entry
// points are the build's (rollup.config.mjs), so a new subpath is documented the day it is built.
// test/unit/api-docs.test.ts runs TypeDoc with warnings as errors.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Converter, ReflectionKind } from 'typedoc';
import { entries } from './rollup.config.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** Absolute source path of each entry → the specifier an app imports it by (`yibao-guard`, `yibao-guard/idb`, …). */
const specifiers = new Map(
  Object.entries(entries).map(([name, source]) => {
    const subpath = Object.entries(pkg.exports).find(([, target]) => target?.default === `./dist/${name}.js`)?.[0];
    if (subpath === undefined)
      throw new Error(`typedoc.config.mjs: rollup entry ${name} is not in package.json "exports"`);
    return [resolve(root, source), subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`];
  }),
);

/**
 * Plugin (this file loads itself as one): modules are named by their import specifier instead of their path.
 *
 * @param {import('typedoc').Application} app
 */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    const specifier = file === undefined ? undefined : specifiers.get(resolve(file));
    if (specifier !== undefined) reflection.name = specifier;
  });
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: pkg.name,
  entryPoints: [...specifiers.keys()],
  plugin: [fileURLToPath(import.meta.url)],
  tsconfig: 'tsconfig.json',
  out: 'docs/api',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  // A helper the error-code unions are written with; the docs show it as `CodesOf<'input'>` beside the union's meaning.
  intentionallyNotExported: ['CodesOf'],
  // No source links: the package is read where it is installed, and a clone's git remote (a local path in CI, none
  // in a fresh worktree) makes TypeDoc warn that links would be broken.
  disableSources: true,
  treatWarningsAsErrors: true,
};
