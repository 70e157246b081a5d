// demo-node-loss: the commands that power a node off and on, as argument arrays. The user's text is
// split into words here (never given to a shell); `{node}` in a word stands for the node's name.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UsageError } from '../errors.js';

/** The placeholder replaced by the node's name in --stop-command and --start-command. */
export const NODE_PLACEHOLDER = '{node}';

/**
 * Splits a command line into words, as a shell would split a simple command and nothing more:
 * blanks separate words, 'single' and "double" quotes group them (a backslash escapes " and \ in
 * double quotes, and any character outside quotes). Or a JSON array of strings, when it starts with
 * `[`. No variables, globs, pipes or redirections: those characters are kept as they are.
 * Throws a one-line message on an unclosed quote or an empty command.
 */
export function splitCommandWords(text: string): string[] {
  if (text.trim().startsWith('[')) return jsonWords(text);
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word = `${word ?? ''}${c}`;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word = `${word ?? ''}${text[++i]}`;
      else word = `${word ?? ''}${c}`;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < text.length) word = (word ?? '') + text[++i];
    else word = (word ?? '') + c;
  }
  if (quote) throw new Error(`unclosed ${quote} quote in "${text}"`);
  if (word !== null) words.push(word);
  if (!words.length) throw new Error('the command is empty');
  return words;
}

function jsonWords(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`"${text}" starts with [ but is not a JSON array`);
  }
  if (!Array.isArray(parsed) || !parsed.length || parsed.some((w) => typeof w !== 'string'))
    throw new Error(`"${text}" is not a JSON array of strings with at least one`);
  return parsed as string[];
}

/** The words with `{node}` replaced by the node's name. */
export function forNode(words: readonly string[], node: string): string[] {
  return words.map((w) => w.replaceAll(NODE_PLACEHOLDER, node));
}

/** Where test/cluster/up keeps the cluster's state (its bin/ holds the k8s-lab-node link). */
export function clusterStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.K8S_LAB_CLUSTER_STATE || '/var/lib/k8s-lab-cluster';
}

/** The project's own cluster (test/cluster/up): its control-plane node and workers are named so. */
export function isProjectCluster(nodeNames: string[]): boolean {
  return nodeNames.includes('k8s-lab-node') && nodeNames.every((n) => n === 'k8s-lab-node' || /^k8s-lab-worker\d*$/.test(n));
}

export interface PowerCommands {
  stop: string[];
  start: string[];
  /** Where they came from, said in the record. */
  source: 'options' | 'project-cluster';
}

/**
 * The stop and start commands for `node`: the user's, or on the project's cluster its
 * `k8s-lab-node stop|start NAME` (test/cluster/node, linked by test/cluster/up into the state's
 * bin/). Elsewhere without --stop-command: a usage error saying to pass one.
 */
export function powerCommands(
  given: { stop?: string[]; start?: string[] },
  node: string,
  nodeNames: string[],
  env: NodeJS.ProcessEnv = process.env,
  executable: (path: string) => boolean = isExecutable,
): PowerCommands {
  if (given.stop && given.start) {
    for (const [flag, words] of [
      ['--stop-command', given.stop],
      ['--start-command', given.start],
    ] as const) {
      const program = words[0] ?? '';
      if (!findsProgram(program, env, executable))
        throw new UsageError(`${flag}: ${program} is not an executable file, nor one on PATH; nothing was changed`, 'give its full path, or install it');
    }
    return { stop: forNode(given.stop, node), start: forNode(given.start, node), source: 'options' };
  }
  if (given.stop || given.start)
    throw new UsageError(
      `--${given.stop ? 'stop' : 'start'}-command without --${given.stop ? 'start' : 'stop'}-command: the node must be powered on again; nothing was changed`,
      "pass both, e.g. --stop-command 'docker stop {node}' --start-command 'docker start {node}'",
    );
  const script = join(clusterStateDir(env), 'bin', 'k8s-lab-node');
  if (isProjectCluster(nodeNames) && executable(script)) return { stop: [script, 'stop', node], start: [script, 'start', node], source: 'project-cluster' };
  throw new UsageError(
    `k8s-lab cannot power ${node} off by itself here${isProjectCluster(nodeNames) ? ` (${script} is missing: start the cluster with this version of test/cluster/up)` : ''}; nothing was changed`,
    `pass the commands that stop and start it, e.g. --stop-command 'docker stop ${node}' --start-command 'docker start ${node}' (kind), where {node} stands for the node's name`,
  );
}

/** Whether `program` runs: a path to an executable file, or a name found on PATH (Windows: not checked, it finds programs by extension). */
function findsProgram(program: string, env: NodeJS.ProcessEnv, executable: (path: string) => boolean): boolean {
  if (process.platform === 'win32') return true;
  if (program.includes('/')) return executable(program);
  return (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => executable(join(dir, program)));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
