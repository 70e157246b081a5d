#!/usr/bin/env node
// A fake `kubectl` that is a real process, for tests of a `kubectl proxy` that dies:
// `proxy --unix-socket PATH` serves the StatefulSet helm-python in namespace lab on that socket,
// with the pid of the process that answered in an annotation; on SIGUSR1 it closes its socket and
// stays running. Any other call fails as kubectl does with the API server away. Each call appends
// "PID ARGS" to the file $FAKE_KUBECTL_CALLS.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const args = process.argv.slice(2);
if (process.env.FAKE_KUBECTL_CALLS) appendFileSync(process.env.FAKE_KUBECTL_CALLS, `${process.pid} ${args.join(' ')}\n`);
const at = args.indexOf('--unix-socket');
if (args.includes('proxy') && at >= 0) serve(args[at + 1]);
else {
  process.stderr.write('The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n');
  process.exitCode = 1;
}

function serve(socketPath) {
  const server = createServer((req, res) => {
    if (req.url !== '/apis/apps/v1/namespaces/lab/statefulsets/helm-python') return res.writeHead(404).end('{"kind":"Status","reason":"NotFound","code":404}');
    res.end(JSON.stringify({ metadata: { name: 'helm-python', annotations: { 'answered-by': String(process.pid) } }, spec: {} }));
  });
  server.listen(socketPath, () => process.stdout.write(`Starting to serve on ${socketPath}\n`));
  process.on('SIGUSR1', () => {
    server.close();
    setInterval(() => {}, 60_000);
  });
}
