// Shared helpers for the benchmarks: run commands, time them, read RSS, summarise.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bin = join(root, 'bin', 'k8s-lab.js');
export const LOCAL_IMAGE = process.env.K8S_LAB_BENCH_IMAGE ?? 'localhost/k8s-lab/python:3-bookworm';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
export const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

/** Runs a command (argument array, no shell) and returns wall time, exit code, stdout and peak RSS. */
export function run(cmd, args, { env = {}, input } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    // /usr/bin/time is not everywhere: read the peak RSS of the child from its resource usage instead.
    const child = spawn(cmd, args, { env: { ...process.env, FORCE_COLOR: '0', ...env }, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // 'close', not 'exit': stdout may still hold data when the process has exited.
    child.on('close', (code) => {
      resolve({ ms: performance.now() - started, code, stdout, stderr });
    });
  });
}

/** Peak RSS in MB of a command, via GNU time when present. */
export async function peakRss(cmd, args, env = {}) {
  const result = await run('/usr/bin/time', ['-f', 'PEAK_RSS_KB=%M', cmd, ...args], { env });
  const kb = Number(/PEAK_RSS_KB=(\d+)/.exec(result.stderr)?.[1] ?? NaN);
  return { ...result, rssMb: kb / 1024 };
}

export const kubectl = (args) => execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
export const lab = (args, env = {}) => run('node', [bin, ...args], { env });

/**
 * Deploys the bench release with `replicas` pods in its own namespace and returns its URL. The NodePort is
 * $BENCH_NODEPORT where set (a port of one's own on a shared cluster), else one the cluster picks.
 */
export async function deployBench(namespace, replicas, nodePort = process.env.BENCH_NODEPORT ?? 'null') {
  const result = await lab([
    'deploy',
    '--namespace',
    namespace,
    '--image',
    LOCAL_IMAGE,
    '--replicas',
    String(replicas),
    '--set',
    `service.nodePort=${nodePort}`,
    '--timeout',
    '10m',
  ]);
  if (result.code !== 0) throw new Error(`deploy failed: ${result.stderr}`);
  // deploy waits for the pods it wants; pods scaled away may still be terminating, and counters lists them.
  for (let waited = 0; ; waited += 2) {
    const pods = JSON.parse(
      kubectl(['-n', namespace, 'get', 'pods', '-l', 'app.kubernetes.io/name=k8s-lab-counter,app.kubernetes.io/instance=helm-python', '-o', 'json']),
    ).items;
    if (pods.length === replicas && pods.every((p) => !p.metadata.deletionTimestamp)) break;
    if (waited > 300) throw new Error(`${pods.length} pods instead of ${replicas} after 5 minutes`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  const port = kubectl(['-n', namespace, 'get', 'service', 'helm-python', '-o', 'jsonpath={.spec.ports[0].nodePort}']).trim();
  return `http://127.0.0.1:${port}`;
}

export function machine() {
  return {
    cpus: String(cpus().length),
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    kernel: release(),
  };
}

/** Bundles the demos' Probe from src/ for bench/probe-only.mjs and returns the module's path. */
export async function buildProbeModule() {
  const { build } = await import('esbuild');
  const outfile = join(mkdtempSync(join(tmpdir(), 'k8s-lab-bench-')), 'probe.mjs');
  await build({
    stdin: { contents: "export { Probe } from './src/probe/probe.ts'; export { urlTarget } from './src/probe/target.ts';", resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.5',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
