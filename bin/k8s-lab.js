#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import module from 'node:module';

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

const help = savedHelp(process.argv.slice(2));
if (help !== undefined) {
  process.stdout.write(help);
} else {
  // Node 22.1+ keeps the compiled code of dist/ in a cache on disk (in the OS temp folder), so later
  // starts skip compiling it; older Node has no such cache and compiles it each time.
  module.enableCompileCache?.();
  const { main } = await import('../dist/cli.js');
  const code = await main(process.argv.slice(2));
  // Exit only once stdout has drained: into a slow pipe, a large --json output would be cut short.
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit(code);
}
