// Ctrl-C during demo-failover --mode hang, through main(): the stopped app gets its SIGCONT, the
// pod is waited for until Ready again, exit 130. In a file of its own: the first Ctrl-C aborts the
// process-wide interrupt signal for good.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FailoverRecord } from '../../../src/demos/lessons.js';
import { runCommand } from '../../support/fake-cluster.js';
import { hangScript } from '../../support/failover-script.js';

let server: Server;
let url: string;
let dir: string;
beforeAll(async () => {
  server = createServer((_, response) => response.end(JSON.stringify({ pod: 'helm-python-0', version: 'v1', counter: 1 })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'k8s-lab-hang-int-'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

it('Ctrl-C while the app is stopped: SIGCONT is sent, the pod waited for, exit 130, the record says so', async () => {
  let sigcontAfterCtrlC = false;
  let ctrlC = false;
  const script = hangScript({
    // Ctrl-C 100 ms after the SIGSTOP, while the lesson holds the hang.
    onStop: () => setTimeout(() => ((ctrlC = true), process.emit('SIGINT', 'SIGINT')), 100),
  });
  const sigcont = script.find((call) => call.args.some((arg) => arg instanceof RegExp && /SIGCONT/.test(arg.source)))!;
  const answer = sigcont.onCall!;
  sigcont.onCall = () => {
    sigcontAfterCtrlC = ctrlC;
    answer();
  };
  const run = await runCommand(
    ['-n', 'lab', 'demo-failover', '--mode', 'hang', '--settle', '100ms', '--interval', '50ms', '--url', url, '--record-dir', dir],
    script,
  );
  expect(run.code, run.stderr).toBe(130);
  expect(sigcontAfterCtrlC).toBe(true);
  expect(run.stderr).toMatch(/✖ failover interrupted \(SIGINT\) during hang; SIGCONT sent: helm-python-1's app resumed; helm-python-1 is Ready again/);
  const [file] = readdirSync(dir);
  const record = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as FailoverRecord;
  expect(record.verdict).toBe('interrupted');
  expect(record.resume?.states).toEqual(['S']);
  expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'fail', 'hang', 'undo', 'undo']);
});
