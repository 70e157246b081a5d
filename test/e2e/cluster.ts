// Helpers for the end-to-end suite: run the built CLI and read the cluster independently with
// kubectl. Nothing here fakes the cluster: $KUBECONFIG must point at a real one
// (../shared/cluster/up makes one on the project's machines).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import { locateTool } from '../../src/tools.js';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const bin = join(repoRoot, 'bin', 'k8s-lab.js');
export const kubectlBin = locateTool('kubectl');

/** The local cluster's image: nothing can be pulled there (../shared/cluster/README.md). */
export const LOCAL_IMAGE = process.env.K8S_LAB_E2E_IMAGE ?? 'localhost/k8s-lab/python:3-bookworm';
/** Test traffic goes to loopback only; NodePorts answer there on the local cluster. */
export const nodePortUrl = (port = 31987) => `http://127.0.0.1:${port}`;

export function requireCluster(): void {
  if (!process.env.KUBECONFIG || !existsSync(process.env.KUBECONFIG)) {
    throw new Error('the end-to-end suite needs a real cluster: run `eval "$(../shared/cluster/up)"` (or point KUBECONFIG at one) first');
  }
  if (!existsSync(join(repoRoot, 'dist', 'cli.js'))) throw new Error('build the CLI first: npm run build');
}

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Runs the built CLI like a user would, with the given helm binary. */
export async function cli(args: string[], { helm, timeoutMs = 600_000, env = {} }: { helm: string; timeoutMs?: number; env?: Record<string, string> }): Promise<CliRun> {
  const result: Result = await execa('node', [bin, ...args], {
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
    env: { FORCE_COLOR: '0', CI: 'true', K8S_LAB_HELM: helm, ...env },
  });
  const stdout = String(result.stdout);
  return {
    exitCode: result.exitCode ?? -1,
    stdout,
    stderr: String(result.stderr),
    json<T>() {
      return JSON.parse(stdout) as T;
    },
  };
}

/** kubectl straight at the cluster, to check what the CLI says against what is there. */
export async function kubectl(args: string[], { reject = true } = {}): Promise<Result> {
  return execa(kubectlBin, args, { reject, timeout: 120_000 });
}

export async function kubectlJson<T>(args: string[]): Promise<T> {
  return JSON.parse(String((await kubectl([...args, '-o', 'json'])).stdout)) as T;
}

export async function readCounterFile(namespace: string, pod: string): Promise<number> {
  const { stdout } = await kubectl(['-n', namespace, 'exec', pod, '-c', 'app', '--', 'cat', '/data/counter.json']);
  return (JSON.parse(String(stdout)) as { counter: number }).counter;
}

export async function deleteNamespace(namespace: string): Promise<void> {
  await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=180s'], { reject: false });
}

/** Waits until `check` returns a value, polling; fails with `what` after the timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
