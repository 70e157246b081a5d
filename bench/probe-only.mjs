#!/usr/bin/env node
// Runs the demos' Probe alone against a URL for N seconds and prints its rate, its CPU and
// optionally its RSS per minute, as JSON. Used by bench/run.mjs, which bundles src/probe for it
// (the CLI's own bundle exports only main) and passes the module in $BENCH_PROBE_MODULE.
const { Probe, urlTarget } = await import(process.env.BENCH_PROBE_MODULE);

const [url, seconds, flag] = process.argv.slice(2);
const durationMs = Number(seconds) * 1000;
const t0 = Date.now();
const probe = new Probe(urlTarget(url, 'bench'), { intervalMs: 100, timeoutMs: 1000, clock: () => Date.now() - t0 });
const cpu0 = process.cpuUsage();
const memory = [];
const sampleRss = () => {
  globalThis.gc?.(); // defined under node --expose-gc
  const { rss, heapUsed } = process.memoryUsage();
  memory.push({ minute: Math.round((Date.now() - t0) / 60_000), rssMb: rss / 2 ** 20, heapMb: heapUsed / 2 ** 20 });
};
const timer = flag === '--rss' ? setInterval(sampleRss, 60_000) : undefined;
if (timer) sampleRss();
probe.start();
await new Promise((r) => setTimeout(r, durationMs));
const samples = await probe.stop();
clearInterval(timer);
if (timer) sampleRss();
const cpu = process.cpuUsage(cpu0);
const wall = Date.now() - t0;
process.stdout.write(
  JSON.stringify({
    requests: samples.length,
    failures: samples.filter((s) => !s.ok).length,
    // Rate over the span the probe was sending: first to last request.
    perSecond: ((samples.length - 1) * 1000) / Math.max(1, samples.at(-1).t - samples[0].t),
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    memory,
  }),
);
