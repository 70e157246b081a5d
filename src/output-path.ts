import { mkdirSync, mkdtempSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LabError, UsageError } from './errors.js';

// Where a command writes (the report, the run records) is checked before it does any work, and
// directories are made one level at a time: Node's recursive mkdir never returns on a path under
// /proc (it retries for ever at 100 % CPU, and a synchronous one keeps Ctrl-C from being handled).

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The nearest directory at or above `dir` that exists, and the missing ones below it, top first. */
function splitExisting(dir: string): { existing: string; stats: Stats; missing: string[] } {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    const stats = statOrUndefined(current);
    if (stats) return { existing: current, stats, missing: missing.reverse() };
    const parent = dirname(current);
    // The root always exists; this only guards against a filesystem that says otherwise.
    if (parent === current) return { existing: current, stats: statSync(current), missing: missing.reverse() };
    missing.push(current);
    current = parent;
  }
}

/**
 * Throws a usage error naming `flag` and the `given` path unless files can be written in `dir` (made
 * if missing): its nearest existing ancestor must be a directory in which a directory can be made.
 * Leaves nothing behind.
 */
export function checkOutputDir(dir: string, flag: string, given = dir): void {
  const { existing, stats } = splitExisting(dir);
  const what = `${flag} "${given}"`;
  const hint = `pass ${flag} with a directory you can write to`;
  if (!stats.isDirectory()) throw new UsageError(`${what} cannot be written: ${existing} is not a directory`, hint);
  try {
    rmdirSync(mkdtempSync(join(existing, '.k8s-lab-check-')));
  } catch (error) {
    throw new UsageError(`${what} cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} in ${existing}`, hint);
  }
}

/** The same for a file to write: its directory as above, and the file itself not a directory. */
export function checkOutputFile(path: string, flag: string): void {
  if (statOrUndefined(path)?.isDirectory())
    throw new UsageError(`${flag} "${path}" is a directory`, `pass ${flag} with a file name, e.g. ${join(path, 'README.md')}`);
  checkOutputDir(dirname(path), flag, path);
}

/** Makes `dir` and its missing parents, one level at a time; a failure names the directory. */
export function makeDirs(dir: string): void {
  const { existing, stats, missing } = splitExisting(dir);
  if (!stats.isDirectory()) throw new LabError(`cannot make directory ${dir}: ${existing} is not a directory`);
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(path)?.isDirectory()) continue;
      throw new LabError(`cannot make directory ${path}: ${(error as Error).message}`);
    }
  }
}
