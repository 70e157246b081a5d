#!/usr/bin/env node
// The floor of `counters` in Node: the least any Node process can do to read N pods' counter files
// through the API server, written by hand with nothing of k8s-lab's: start, load node:http2 (and
// with it node:tls), read the kubeconfig (the project's cluster's: the first server, CA and client
// certificate, as data or files; no YAML parser, no contexts), one TLS connection with the client
// certificate, one pod list, then every pod's GET /counter.json through the API server's pod proxy at
// once, and print them. No error handling beyond failing. bench/run.mjs (counters) times it beside
// `k8s-lab counters` and `kubectl get pods -o json`: whatever `counters` costs above it is ours.
// Usage: KUBECONFIG=… node bench/counters-floor.mjs <namespace>
const { readFileSync } = process.getBuiltinModule('node:fs');
const http2 = process.getBuiltinModule('node:http2');

const namespace = process.argv[2];
const text = readFileSync(process.env.KUBECONFIG, 'utf8');
const field = (key) => new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, 'm').exec(text)?.[1];
const pem = (key) => {
  const data = field(`${key}-data`);
  return data ? Buffer.from(data, 'base64') : readFileSync(field(key));
};

const session = http2.connect(field('server'), { ca: pem('certificate-authority'), cert: pem('client-certificate'), key: pem('client-key') });
session.on('error', (error) => {
  throw error;
});
const get = (path) =>
  new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => (body += chunk));
    stream.on('end', () => resolve(body));
    stream.on('error', reject);
    stream.end();
  });

const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
const pods = JSON.parse(await get(base)).items.map((p) => p.metadata.name);
const counters = await Promise.all(pods.map(async (pod) => ({ pod, counter: JSON.parse(await get(`${base}/${pod}:8000/proxy/counter.json`)).counter })));
session.close();
process.stdout.write(`${JSON.stringify(counters)}\n`);
