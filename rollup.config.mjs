// Builds every entry of the exports map (and the CLI) to dist/ as ESM. The type declarations are tsc's, one .d.ts
// per source file under dist/src/ and dist/adapters/ (tsconfig.build.json, run after this by `npm run build`).
// Modules are preserved one file each (entries at dist/<entry>.js, the rest under dist/src/ and dist/adapters/):
// `yibao-guard` and `yibao-guard/idb`
// share one copy of the core (one YibaoGuardError class), and with "sideEffects": false an app's bundler
// drops every module it does not use, so importing a validator does not pull in every schema.
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import esbuild from 'rollup-plugin-esbuild';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** Library entries: the exports map's subpaths. */
export const entries = {
  index: 'src/index.ts',
  engine: 'src/engine.ts',
  codes: 'src/codes/index.ts',
  errors: 'src/errors/index.ts',
  schemas: 'src/schemas/index.ts',
  storage: 'src/storage/index.ts',
  crypto: 'src/crypto/index.ts',
  voucher: 'src/voucher/index.ts',
  invoice: 'src/invoice/index.ts',
  audit: 'src/audit/index.ts',
  platform: 'src/platform/index.ts',
  rules: 'src/rules/index.ts',
  sync: 'src/sync/index.ts',
  'ed25519-fallback': 'src/crypto/ed25519-fallback.ts',
  idb: 'adapters/idb/index.ts',
  sqlite: 'adapters/sqlite/index.ts',
  simulator: 'adapters/simulator/index.ts',
  'simulator-msw': 'adapters/simulator/msw.ts',
  his: 'adapters/his/index.ts',
};

const dependencies = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const external = (id) =>
  id.startsWith('node:') ||
  builtinModules.includes(id) ||
  dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));

export default [
  {
    input: { ...entries, cli: 'adapters/cli/main.ts' },
    external,
    // Never keep a bare `import 'dep'` for a dependency whose exports went unused: apps would pay for it.
    treeshake: { moduleSideEffects: 'no-external' },
    plugins: [esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' })],
    output: {
      dir: 'dist',
      format: 'es',
      preserveModules: true,
      hoistTransitiveImports: false,
      preserveModulesRoot: '.',
      entryFileNames: '[name].js',
      banner: (chunk) => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
    },
  },
];
