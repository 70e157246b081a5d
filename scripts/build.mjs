#!/usr/bin/env node
// `npm run build`: bundles src/cli.ts and its dependencies into dist/ with esbuild. Start-up time is
// mostly Node resolving, reading and compiling modules one by one (commander, chalk, ~15 of ours),
// so the bundle keeps what `k8s-lab --help` needs in a few files, and each command's code (imported
// by its action in src/commands/definitions.ts) with what only it uses in its own chunks, loaded
// when it runs. Type
// checking is `npm run lint` (tsc --noEmit); esbuild only strips the types.
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

// Built beside dist/ and swapped in with two renames, so a CLI started meanwhile (tests run while
// someone builds) finds a whole dist/, old or new, and no stale chunk stays behind.
// Under node_modules/.cache (same file system, ignored by git and eslint) in case a build dies halfway.
const cache = join(root, 'node_modules', '.cache');
const fresh = join(cache, `k8s-lab-dist-${process.pid}`);
const old = join(cache, `k8s-lab-dist-old-${process.pid}`);
rmSync(fresh, { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  outdir: fresh,
  // Every file lands directly in dist/, so src/paths.ts still finds the package one level up.
  entryNames: '[name]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.12',
  // commander is CommonJS and requires Node built-ins: give the ESM bundle a real `require`.
  banner: { js: "import { createRequire as __k8sLabCreateRequire } from 'node:module';\nconst require = __k8sLabCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  // ws's optional native add-ons, which it requires in a try block and does without (its JS code
  // instead): left as runtime requires, never bundled.
  external: ['bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
};
await build({ ...common, entryPoints: ['src/cli.ts'], chunkNames: '[name]-[hash]' });
// `k8s-lab counters` without commander (bin/k8s-lab.js tries it first): a bundle of its own, so its
// chunks are cut for it alone (5 files to load, where sharing chunks with cli.js made 23).
await build({ ...common, entryPoints: ['src/counters-main.ts'], chunkNames: 'counters-main-[name]-[hash]' });
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });

// The help pages, as the built CLI prints them off a terminal (80 columns), kept in dist/help.json:
// bin/k8s-lab.js prints `k8s-lab --help` and `k8s-lab <command> --help` from it without loading the
// CLI (commander alone costs more than a fifth of Node's own start-up). Any other argv, or a terminal
// of another width, goes through commander as before.
const { main } = await import(join(dist, 'cli.js'));
async function helpOf(argv) {
  let text = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => done(void (text += chunk)) });
  const code = await main(argv, { stdout: sink, stderr: sink, env: {} });
  if (code !== 0) throw new Error(`k8s-lab ${argv.join(' ')} exited ${code}: ${text}`);
  return text;
}
const pages = { '': await helpOf(['--help']) };
const listed = pages[''].split(/^Commands:$/m)[1] ?? '';
for (const [, name] of listed.matchAll(/^ {2}([a-z][\w-]*)/gm)) if (name !== 'help') pages[name] = await helpOf([name, '--help']);
writeFileSync(join(dist, 'help.json'), JSON.stringify({ columns: 80, pages }));
