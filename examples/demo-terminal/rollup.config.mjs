// Bundles the demo terminal page (examples/demo-terminal) for the browser: one ES module (app.js) with the package's
// own modules and its dependencies inlined, next to index.html and styles.css, in dist/demo-terminal/ (served by
// `yibao-guard demo`). Separate from the package build (rollup.config.mjs), which it leaves unchanged.
//
// No resolve/commonjs plugins are installed, so two small ones live here: bare imports (idb, ky, zod/mini, uqr,
// tweetnacl) are resolved the way Node resolves them, and tweetnacl, the one CommonJS dependency (a UMD file that
// needs nothing from Node in a browser), is wrapped as an ES module.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import esbuild from 'rollup-plugin-esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const require = createRequire(join(repo, 'package.json'));

/** Resolves bare specifiers from the repository's node_modules, preferring each package's ES module entry. */
function nodeModules() {
  return {
    name: 'demo-node-modules',
    resolveId(source) {
      if (source.startsWith('.') || source.startsWith('/') || source.startsWith('\0')) return null;
      try {
        // From this file, inside the repository: Node walks up to its node_modules, applying each package's exports.
        return fileURLToPath(import.meta.resolve(source));
      } catch {
        return require.resolve(source);
      }
    },
  };
}

/** Wraps tweetnacl's UMD file as an ES module exporting what it puts on `module.exports`. */
function tweetnaclAsEsm() {
  return {
    name: 'demo-tweetnacl-esm',
    transform(code, id) {
      if (!/[\\/]tweetnacl[\\/]nacl(-fast)?\.js$/.test(id)) return null;
      return {
        code: `const module = { exports: {} };\nconst require = undefined;\n${code}\nexport default module.exports;\n`,
        map: null,
      };
    },
  };
}

/** Copies the page's static files next to the bundle. */
function staticFiles(files) {
  return {
    name: 'demo-static-files',
    generateBundle() {
      for (const file of files)
        this.emitFile({ type: 'asset', fileName: file, source: readFileSync(join(here, file)) });
    },
  };
}

/**
 * The demo bundle's rollup options, writing to `outDir`.
 *
 * @param {string} outDir
 */
export function demoConfig(outDir = join(repo, 'dist', 'demo-terminal')) {
  return {
    input: join(here, 'src', 'main.ts'),
    plugins: [
      nodeModules(),
      tweetnaclAsEsm(),
      esbuild({ target: 'es2022', tsconfig: join(repo, 'tsconfig.json'), minify: true }),
      staticFiles(['index.html', 'styles.css']),
    ],
    // The core loads ky, tweetnacl and its till modules with import(): one file keeps the page simple to serve.
    output: { dir: outDir, format: 'es', entryFileNames: 'app.js', inlineDynamicImports: true, sourcemap: false },
    onwarn(warning, warn) {
      if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return;
      warn(warning);
    },
  };
}

export default demoConfig();
