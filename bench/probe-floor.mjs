#!/usr/bin/env node
// How fast may the probe send before it distorts what it measures? Starts the chart's own app
// (chart/files/server.py, one process, pinned to one core with taskset when there is one, its data
// on the disk: every GET / is two fsyncs as in a pod) and sends GET / on a fixed schedule, open loop
// like the demos' Probe (one new connection each, Connection: close), at each interval for a few
// seconds. Prints per interval: requests, failures, latency p50/p99 and the rate achieved, as JSON
// lines. Usage: node bench/probe-floor.mjs [seconds per interval] [intervals ms, comma-separated]
// With PROBE_FLOOR_URL (e.g. http://127.0.0.1:31900, a release deployed with --replicas 1) it probes
// that instead of starting the app: one pod on the cluster, through its Service.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './lib.mjs';

const seconds = Number(process.argv[2] ?? 5);
const intervals = (process.argv[3] ?? '1,2,5,10,20,50,100').split(',').map(Number);
const given = process.env.PROBE_FLOOR_URL ? new URL(process.env.PROBE_FLOOR_URL) : undefined;
const host = given?.hostname ?? '127.0.0.1';
const port = given ? Number(given.port) : 18_000 + Math.floor(Math.random() * 1000);
const dataDir = mkdtempSync(join(process.env.PROBE_FLOOR_DIR ?? tmpdir(), 'k8s-lab-floor-'));
const pin = spawnSync('taskset', ['--version']).status === 0 ? ['taskset', '-c', '0'] : [];
const [cmd, ...args] = [...pin, 'python3', join(root, 'chart', 'files', 'server.py')];
const app = given
  ? undefined
  : spawn(cmd, args, {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(port), POD_NAME: 'floor-0', APP_VERSION: 'v1' },
      stdio: 'ignore',
    });

function get(timeoutMs) {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = http.request({ host, port, path: '/', agent: false, headers: { Connection: 'close' }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, ms: performance.now() - start }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false, ms: performance.now() - start }));
    req.end();
  });
}

const quantile = (xs, q) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] : null);

async function measure(intervalMs) {
  // The demos' own request limit (src/limits.ts probeRequestMs): ten intervals, at least a second.
  const timeoutMs = Math.max(1000, 10 * intervalMs);
  const replies = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  let n = 0;
  await new Promise((done) => {
    const tick = () => {
      if (performance.now() >= until) return done();
      replies.push(get(timeoutMs));
      n += 1;
      setTimeout(tick, Math.max(0, started + n * intervalMs - performance.now()));
    };
    tick();
  });
  const all = await Promise.all(replies);
  const ok = all
    .filter((r) => r.ok)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  return {
    intervalMs,
    requests: all.length,
    failed: all.length - ok.length,
    perSecond: Math.round(all.length / seconds),
    p50: Math.round(quantile(ok, 0.5) ?? NaN),
    p99: Math.round(quantile(ok, 0.99) ?? NaN),
  };
}

try {
  for (let i = 0; i < 100 && !(await get(500)).ok; i++) await new Promise((r) => setTimeout(r, 100));
  for (const interval of intervals) {
    process.stdout.write(`${JSON.stringify(await measure(interval))}\n`);
    await new Promise((r) => setTimeout(r, 1000)); // let the app drain between steps
  }
} finally {
  app?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
