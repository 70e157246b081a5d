#!/usr/bin/env node
// Why k8s-lab reads the API server with a reader of its own (src/adapters/kubeconfig.ts, kube-api.ts)
// and not @kubernetes/client-node: both, in a fresh Node process each, interleaved, do what `counters`
// does: load, resolve the kubeconfig, list the pods of a namespace and GET each pod's /counter.json
// through the API server's pod proxy. Prints the median wall time of the process, of loading the
// library, and of the reads. client-node is not a dependency: point BENCH_CLIENT_NODE at an install
// of it (`npm i --prefix /tmp/kcn @kubernetes/client-node`, then /tmp/kcn/node_modules/@kubernetes/client-node).
// Usage: node bench/reader-choice.mjs <namespace> [runs]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, median, root, run } from './lib.mjs';

const [namespace, runsArg = '11'] = process.argv.slice(2);
const clientNode = process.env.BENCH_CLIENT_NODE;
if (!namespace || !clientNode) throw new Error('usage: BENCH_CLIENT_NODE=<path to @kubernetes/client-node> node bench/reader-choice.mjs <namespace> [runs]');

const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-reader-'));
const { build } = await import('esbuild');
await build({
  stdin: {
    contents:
      "export { resolveKubeconfig } from './src/adapters/kubeconfig.ts'; export { KubeApi } from './src/adapters/kube-api.ts'; export { createRunner } from './src/process/runner.ts';",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.5',
  outfile: join(dir, 'own.mjs'),
  // yaml is CommonJS and requires Node built-ins, as in scripts/build.mjs.
  banner: { js: "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);" },
  logLevel: 'warning',
});
// Each script prints {load, reads} in ms; the pod proxy path is the one `counters` reads.
writeFileSync(
  join(dir, 'own-run.mjs'),
  `const t0 = performance.now();
const { resolveKubeconfig, KubeApi, createRunner } = await import(${JSON.stringify(join(dir, 'own.mjs'))});
const t1 = performance.now();
const resolved = resolveKubeconfig({ target: { namespace: process.argv[2] }, env: process.env });
const api = new KubeApi(resolved.connection, createRunner());
const ns = resolved.connection.namespace;
const pods = JSON.parse((await api.get('/api/v1/namespaces/' + ns + '/pods')).body).items;
const bodies = await Promise.all(pods.map((p) => api.get('/api/v1/namespaces/' + ns + '/pods/' + p.metadata.name + ':8000/proxy/counter.json')));
if (bodies.some((b) => b.statusCode !== 200)) throw new Error('a read failed');
await api.stop();
console.log(JSON.stringify({ load: t1 - t0, reads: performance.now() - t1, pods: pods.length }));
`,
);
writeFileSync(
  join(dir, 'client-node-run.mjs'),
  `const t0 = performance.now();
const k8s = await import(${JSON.stringify(join(clientNode, 'dist', 'index.js'))});
const t1 = performance.now();
const config = new k8s.KubeConfig();
config.loadFromDefault();
const core = config.makeApiClient(k8s.CoreV1Api);
const ns = process.argv[2];
const pods = (await core.listNamespacedPod({ namespace: ns })).items;
const bodies = await Promise.all(pods.map((p) => core.connectGetNamespacedPodProxyWithPath({ name: p.metadata.name + ':8000', namespace: ns, path: 'counter.json' })));
if (bodies.some((b) => !(typeof b === 'string' ? b : JSON.stringify(b)).includes('counter'))) throw new Error('a read failed: ' + JSON.stringify(bodies[0]));
console.log(JSON.stringify({ load: t1 - t0, reads: performance.now() - t1, pods: pods.length }));
`,
);

const runs = Number(runsArg);
const times = { own: { wall: [], load: [], reads: [] }, 'client-node': { wall: [], load: [], reads: [] } };
for (let i = 0; i < runs; i++) {
  for (const name of i % 2 ? ['client-node', 'own'] : ['own', 'client-node']) {
    const result = await run('node', [join(dir, `${name}-run.mjs`), namespace]);
    if (result.code !== 0) throw new Error(`${name}: ${result.stderr}`);
    const { load, reads, pods } = JSON.parse(result.stdout);
    times[name].wall.push(result.ms);
    times[name].load.push(load);
    times[name].reads.push(reads);
    times[name].pods = pods;
  }
}
console.log(`| reader | process (wall) | loading the library | kubeconfig, list and ${times.own.pods} GETs |`);
console.log('| --- | --- | --- | --- |');
for (const [name, t] of Object.entries(times)) console.log(`| ${name} | ${fmt(median(t.wall))} | ${fmt(median(t.load))} | ${fmt(median(t.reads))} |`);
