import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../support/fake-cluster.js';

let server: Server | undefined;
afterEach(() => void server?.close());

/** A stand-in for the Service on 127.0.0.1: answers like the app, from the pods in turn. */
async function serve(answer: (n: number) => { status: number; body: object }, port = 0): Promise<string> {
  let n = 0;
  server = createServer((request, response) => {
    // The app's /healthz counts nothing; traffic asks it before sending.
    const { status, body } = request.url === '/healthz' ? { status: 200, body: { status: 'ok' } } : answer(n++);
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }).listen(port, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const seconds = (text: string) => text.replace(/ in \d+\.\d s:/, ' in #.# s:');

describe('k8s-lab traffic --url', () => {
  it('sends the requests and shows how they spread over the pods, without asking the cluster anything', async () => {
    const counters = [0, 0];
    const url = await serve((n) => {
      const ordinal = n % 2;
      counters[ordinal]! += 1;
      return { status: 200, body: { pod: `helm-python-${ordinal}`, version: 'v1', counter: counters[ordinal] } };
    });
    const run = await runCommand(['-n', 'lab', 'traffic', '--url', url, '--requests', '6', '--concurrency', '1'], []);
    expect(run.code).toBe(0);
    expect(seconds(run.stdout)).toBe(
      [
        'POD             VERSION   REQUESTS   SHARE   COUNTER',
        'helm-python-0   v1        3          50%     3',
        'helm-python-1   v1        3          50%     3',
        '',
        '6 requests in #.# s: 6 ok, 0 failed',
        '',
      ].join('\n'),
    );
    expect(run.stderr).toBe(`sending 6 requests to ${url} (given with --url)\n`);
    expect(run.calls).toEqual([]);
  });

  it('exits 1 when no request succeeds, counting the failures by reason', async () => {
    const url = await serve(() => ({ status: 503, body: { status: 'unavailable' } }));
    const run = await runCommand(['-n', 'lab', 'traffic', '--url', url, '--requests', '3'], []);
    expect(run.code).toBe(1);
    expect(seconds(run.stdout)).toBe('POD   VERSION   REQUESTS   SHARE   COUNTER\n\n3 requests in #.# s: 0 ok, 3 failed (3× HTTP 503)\n');
    expect(run.stderr).toBe(
      `sending 3 requests to ${url} (given with --url)\n✖ no request to ${url} (given with --url) succeeded (3× HTTP 503) — check the pods with \`k8s-lab status\`, or pass --url\n`,
    );
  });

  it('waits for an address that refuses connections to start answering, then counts only the requests it sent', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    let counter = 0;
    const late = new Promise<string>((resolve) =>
      setTimeout(() => resolve(serve(() => ({ status: 200, body: { pod: 'helm-python-0', version: 'v1', counter: ++counter } }), port)), 1200),
    );
    const run = await runCommand(['-n', 'lab', 'traffic', '--url', url, '--requests', '4', '--concurrency', '1'], []);
    await late;
    expect(run.code).toBe(0);
    expect(counter).toBe(4);
    expect(run.stderr).toMatch(
      new RegExp(
        `^sending 4 requests to ${url} \\(given with --url\\)\nwaiting up to 30 s for ${url} \\(given with --url\\) to answer \\(.*ECONNREFUSED.*\\)\n$`,
      ),
    );
    expect(seconds(run.stdout)).toContain('4 requests in #.# s: 4 ok, 0 failed');
  });

  it('--requests and --duration together are a usage error, exit 2', async () => {
    const run = await runCommand(['traffic', '--requests', '3', '--duration', '5s'], []);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^✖ .*--requests.*--duration.* — see k8s-lab traffic --help\n$/);
  });
});

describe('k8s-lab traffic --json', () => {
  it('prints the tally as JSON on stdout and only the errors on stderr', async () => {
    const url = await serve(() => ({ status: 200, body: { pod: 'helm-python-0', version: 'v2', counter: 7 } }));
    const run = await runCommand(['--json', 'traffic', '--url', url, '--requests', '2'], []);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({
      target: `${url} (given with --url)`,
      sent: 2,
      ok: 2,
      failed: 0,
      pods: [{ pod: 'helm-python-0', versions: ['v2'], requests: 2, lastCounter: 7 }],
      errors: {},
    });
  });
});
