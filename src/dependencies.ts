import type { Command } from 'commander';
import type { Runner } from './process/runner.js';
import type { Logger } from './ui/logger.js';

/** Standard input, and whether a person types into it (teardown asks before deleting data). */
export type Terminal = NodeJS.ReadableStream & { isTTY?: boolean };

/** What a command's Lab is made of; each defaults to the process's own. Tests pass fakes. */
export interface LabDependencies {
  runner?: Runner;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  stdin?: Terminal;
}

// Types only above: cli.ts imports this module at start-up.
const programDependencies = new WeakMap<Command, LabDependencies>();

/** Keeps the dependencies `main` was given with the program it built. */
export function provideDependencies(program: Command, deps: LabDependencies): void {
  programDependencies.set(program, deps);
}

/** The dependencies of the program a command belongs to. */
export function dependenciesOf(command: Command): LabDependencies {
  let root = command;
  while (root.parent) root = root.parent;
  return programDependencies.get(root) ?? {};
}
