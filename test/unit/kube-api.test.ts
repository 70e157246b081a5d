import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiFailure } from '../../src/adapters/failure.js';
import { KubeApi, parseExecCredential } from '../../src/adapters/kube-api.js';
import type { ApiConnection, ExecPlugin } from '../../src/adapters/kubeconfig.js';
import { createRunner } from '../../src/process/runner.js';
import { startFakeApiServer, tls, type FakeApiServer } from '../support/fake-api-server.js';

const PLUGIN = join(import.meta.dirname, '..', 'fixtures', 'kubeconfig', 'plugin.mjs');

let server: FakeApiServer | undefined;
let api: KubeApi | undefined;
afterEach(async () => {
  await api?.stop();
  await server?.close();
  api = server = undefined;
});

function connect(url: string, settings: Partial<ApiConnection>): KubeApi {
  api = new KubeApi({ server: url, namespace: 'lab', context: 'c', insecure: false, clusterInfo: { server: url }, ...settings }, createRunner());
  return api;
}

describe('KubeApi: the API server read from Node', () => {
  it('presents the client certificate and checks the server against the CA', async () => {
    server = await startFakeApiServer({ '/version': { gitVersion: 'v1.37.2' } });
    const answer = await connect(server.url, { ca: tls('ca.pem'), cert: tls('client.pem'), key: tls('client.key') }).get('/version');
    expect(answer).toEqual({ statusCode: 200, body: '{"gitVersion":"v1.37.2"}' });
    // This server speaks HTTP/1.1 only: the reader falls back to it.
    expect(server.asked).toEqual([{ path: '/version', cn: 'lab-admin', version: '1.1' }]);
  });

  it('over HTTP/2 where the server speaks it: 20 GETs side by side on one connection', async () => {
    server = await startFakeApiServer({ '/version': { gitVersion: 'v1' } }, { http2: true });
    const client = connect(server.url, { ca: tls('ca.pem'), cert: tls('client.pem'), key: tls('client.key'), token: 'abc' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.get('/version')));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    expect(server.asked).toEqual(Array(20).fill({ path: '/version', cn: 'lab-admin', authorization: 'Bearer abc', version: '2.0' }));
    expect(server.connections()).toBe(1);
  });

  it('an HTTP/2 API server that restarts (refused meanwhile) is read over HTTP/2 again once back, not over HTTP/1.1 from then on', async () => {
    server = await startFakeApiServer({ '/version': { gitVersion: 'v1' } }, { http2: true });
    const port = Number(new URL(server.url).port);
    const client = connect(server.url, { ca: tls('ca.pem'), cert: tls('client.pem'), key: tls('client.key') });
    expect((await client.get('/version')).statusCode).toBe(200);
    await client.stop();
    await server.close();
    const away = await client.get('/version').catch((error: Error) => error);
    expect((away as Error).message).toMatch(/ECONNREFUSED/);
    server = await startFakeApiServer({ '/version': { gitVersion: 'v2' } }, { http2: true, port });
    expect(await client.get('/version')).toEqual({ statusCode: 200, body: '{"gitVersion":"v2"}' });
    expect(server.asked).toEqual([{ path: '/version', cn: 'lab-admin', version: '2.0' }]);
  });

  it('over HTTP/2, gives each answer a window of at least 1 MiB: a list of 100 pods (~9 kB each) comes without waiting for window updates', async () => {
    server = await startFakeApiServer({ '/version': { gitVersion: 'v1' } }, { http2: true });
    const client = connect(server.url, { ca: tls('ca.pem'), token: 'abc' });
    await Promise.all([client.get('/version'), client.get('/version')]);
    expect(server.streamWindows).toHaveLength(2);
    // HTTP/2's default is 65,535 bytes (RFC 9113, 6.5.2).
    for (const window of server.streamWindows) expect(window).toBeGreaterThanOrEqual(2 ** 20);
  });

  it('sends a bearer token; 20 concurrent GETs share at most 8 connections', async () => {
    server = await startFakeApiServer({ '/version': { gitVersion: 'v1' } });
    const client = connect(server.url, { ca: tls('ca.pem'), token: 'abc' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.get('/version')));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(server.asked.map((a) => a.authorization))).toEqual(new Set(['Bearer abc']));
    expect(server.connections()).toBeGreaterThanOrEqual(1);
    expect(server.connections()).toBeLessThanOrEqual(8);
  });

  it('runs the exec plugin once, with its env and KUBERNETES_EXEC_INFO, and sends its token', async () => {
    server = await startFakeApiServer({ '/version': { gitVersion: 'v1' } });
    const log = join(mkdtempSync(join(tmpdir(), 'k8s-lab-plugin-')), 'runs');
    const exec: ExecPlugin = {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: PLUGIN,
      args: ['arg1'],
      env: { PLUGIN_GREETING: 'hi', PLUGIN_LOG: log },
      provideClusterInfo: true,
    };
    const client = connect(server.url, { ca: tls('ca.pem'), exec });
    await Promise.all([client.get('/version'), client.get('/version')]);
    // The plugin's token: tok-<interactive>-<$PLUGIN_GREETING>-<first arg>-<cluster server>.
    expect(server.asked.map((a) => a.authorization)).toEqual(Array(2).fill(`Bearer tok-false-hi-arg1-${server.url}`));
    expect(readFileSync(log, 'utf8')).toBe('ran\n');
  });

  it('refuses a server its CA did not sign unless insecure-skip-tls-verify, and says so as an unreachable server', async () => {
    server = await startFakeApiServer({ '/version': { gitVersion: 'v1' } });
    const refused = await connect(server.url, { token: 't' })
      .get('/version')
      .catch((error: Error) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(apiFailure('reading statefulset x', server.url, refused as Error)?.message).toBe('reading statefulset x: cannot reach the Kubernetes API server');
    await api?.stop();
    expect((await connect(server.url, { token: 't', insecure: true }).get('/version')).statusCode).toBe(200);
  });
});

describe('apiFailure: the same one line a kubectl failure gives', () => {
  it('Unauthorized and Forbidden, naming who may not do what', () => {
    expect(apiFailure('listing pods', 'https://k', { statusCode: 401, body: '{"kind":"Status","message":"Unauthorized"}' })?.message).toBe(
      "listing pods: the API server did not accept the kubeconfig's credentials (Unauthorized)",
    );
    const forbidden = apiFailure('listing pods', 'https://k', {
      statusCode: 403,
      body: JSON.stringify({ message: 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "lab"' }),
    });
    expect([forbidden?.message, forbidden?.hint]).toEqual([
      'listing pods: not allowed: jane may not list pods in namespace lab',
      'ask for access to namespace lab (`kubectl auth can-i --list -n lab` shows yours), or use another context',
    ]);
    expect(apiFailure('listing pods', 'https://k', { statusCode: 500, body: 'oops' })).toBeUndefined();
  });
});

describe('parseExecCredential', () => {
  const plugin: ExecPlugin = { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: [], env: {}, provideClusterInfo: false };
  const credential = (status: object, apiVersion = plugin.apiVersion) => JSON.stringify({ apiVersion, kind: 'ExecCredential', status });
  it('takes a token with its expiry, or a certificate and key', () => {
    expect(parseExecCredential(credential({ token: 't', expirationTimestamp: '2030-01-01T00:00:00Z' }), plugin, 0)).toEqual({
      token: 't',
      expiresAt: Date.UTC(2030, 0, 1),
    });
    expect(parseExecCredential(credential({ clientCertificateData: 'C', clientKeyData: 'K' }), plugin)).toEqual({ cert: 'C', key: 'K' });
  });
  it('says what is wrong with an answer it cannot use', () => {
    expect(() => parseExecCredential('not json', plugin)).toThrow("the kubeconfig's credential plugin aws printed no JSON ExecCredential");
    expect(() => parseExecCredential(credential({ token: 't' }, 'client.authentication.k8s.io/v1'), plugin)).toThrow(
      'answered ExecCredential client.authentication.k8s.io/v1 where ExecCredential client.authentication.k8s.io/v1beta1 was asked for',
    );
    expect(() => parseExecCredential(credential({ token: 't', expirationTimestamp: '2020-01-01T00:00:00Z' }), plugin)).toThrow(
      'gave a credential that expired at 2020-01-01T00:00:00Z',
    );
  });
});
