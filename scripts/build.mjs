#!/usr/bin/env node
// `npm run build`: bundles src/cli.ts and its dependencies into dist/ with esbuild. Start-up time is
// mostly Node resolving, reading and compiling modules one by one (commander, chalk, ~15 of ours),
// so the bundle keeps what `k8s-lab --help` needs in one file, and each command (imported
// dynamically in cli.ts) with what only it uses in its own chunks, loaded when it runs. Type
// checking is `npm run lint` (tsc --noEmit); esbuild only strips the types.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * commander requires node:child_process at load, for executable subcommands, which k8s-lab does not
 * use; loading it (with net, dgram and streams) is ~10 ms of every start. This defers it to first use.
 * If a commander release words the line differently, the build says so and bundles it unchanged.
 */
const lazyChildProcessInCommander = {
  name: 'lazy-child-process-in-commander',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager)) return { contents: source, loader: 'js', warnings: [{ text: `${eager} not found: node:child_process stays eager` }] };
      const lazy = "let loadedChildProcess; const childProcess = new Proxy({}, { get: (_, key) => (loadedChildProcess ??= require('node:child_process'))[key] });";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

// Built beside dist/ and swapped in with two renames, so a CLI started meanwhile (tests run while
// someone builds) finds a whole dist/, old or new, and no stale chunk stays behind.
// Under node_modules/.cache (same file system, ignored by git and eslint) in case a build dies halfway.
const cache = join(root, 'node_modules', '.cache');
const fresh = join(cache, `k8s-lab-dist-${process.pid}`);
const old = join(cache, `k8s-lab-dist-old-${process.pid}`);
rmSync(fresh, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir: fresh,
  // Every file lands directly in dist/, so src/paths.ts still finds the package one level up.
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.5',
  // commander is CommonJS and requires Node built-ins: give the ESM bundle a real `require`.
  banner: { js: "import { createRequire as __k8sLabCreateRequire } from 'node:module';\nconst require = __k8sLabCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  plugins: [lazyChildProcessInCommander],
  logLevel: 'warning',
});
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });
