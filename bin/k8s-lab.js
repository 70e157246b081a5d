#!/usr/bin/env node
// Checked before the CLI is loaded: its dependencies (log-update, slice-ansi) need Node 22, and an
// older Node would fail on them with a stack trace instead of saying what to install.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `✖ k8s-lab needs Node.js 22.12 or newer, this is Node.js ${process.versions.node} (${process.execPath}) — install Node.js 22 or 24 (https://nodejs.org), e.g. with nvm: nvm install 24\n`,
  );
  process.exit(1);
}
// Built-ins through process.getBuiltinModule, not `import`: an ESM import of node:fs builds its
// module namespace by reading every export, which loads fs streams, fs/promises and readline
// (~10 ms of a 40 ms Node start).
const { readFileSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');

/**
 * `k8s-lab --help` and `k8s-lab <command> --help` off a terminal (or on one 80 columns wide): the
 * page the build saved from the CLI itself (scripts/build.mjs), printed without loading it.
 */
function savedHelp(args) {
  const page = args.length === 1 && (args[0] === '--help' || args[0] === '-h') ? '' : args.length === 2 && args[1] === '--help' ? args[0] : undefined;
  if (page === undefined) return undefined;
  try {
    const help = JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8'));
    if (process.stdout.isTTY && process.stdout.columns !== help.columns) return undefined;
    return Object.hasOwn(help.pages, page) ? help.pages[page] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `k8s-lab counters` with the global options only: run by dist/counters-main.js without loading the
 * CLI (commander and every command's definition), so the read starts sooner. Undefined for any argv
 * it does not read exactly as the CLI does, and when dist/ is missing: then the CLI runs.
 */
async function fastCounters(args) {
  if (!args.includes('counters')) return undefined;
  let fast;
  try {
    fast = await import('../dist/counters-main.js');
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  return fast.countersMain(args);
}

/** Exits once stdout has drained: into a slow pipe, a large --json output would be cut short. */
async function exit(code) {
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit(code);
}

const args = process.argv.slice(2);
const help = savedHelp(args);
if (help !== undefined) {
  process.stdout.write(help);
} else {
  // Node 22.1+ keeps the compiled code of dist/ in a cache on disk (in the OS temp folder), so later
  // starts skip compiling it.
  module.enableCompileCache?.();
  const fast = await fastCounters(args);
  if (fast !== undefined) await exit(fast);
  let cli;
  try {
    cli = await import('../dist/cli.js');
  } catch (error) {
    // A clone that was never built: say how to build it rather than print ERR_MODULE_NOT_FOUND.
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('/dist/cli.js')) throw error;
    process.stderr.write('✖ k8s-lab is not built: dist/cli.js is missing — run `npm ci && npm run build` in the k8s-lab folder first\n');
    process.exit(1);
  }
  const code = await cli.main(args);
  await exit(code);
}
