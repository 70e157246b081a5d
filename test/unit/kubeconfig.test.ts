import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { kubeconfigFiles, resolveKubeconfig, type Resolved } from '../../src/adapters/kubeconfig.js';

/** Writes files (path → text) into a fresh folder and returns it. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-kubeconfig-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const resolve = (target: Parameters<typeof resolveKubeconfig>[0]['target'], env: Record<string, string>): Resolved =>
  resolveKubeconfig({ target, env, parseYaml: parse });
const connection = (resolved: Resolved) => {
  if (!('connection' in resolved)) throw new Error(`unsupported: ${resolved.unsupported}`);
  return resolved.connection;
};

// "CERT-A" and "KEY-A" in base64, worked by hand: C E R → Q0VS, T - A → VC1B; K E Y → S0VZ, - A → LUE=.
const CERT_A = 'Q0VSVC1B';
const KEY_A = 'S0VZLUE=';

describe('kubeconfig resolution (kubectl rules)', () => {
  it('reads a client certificate and CA from files named relative to the kubeconfig, and the context namespace', () => {
    const dir = folder({
      'ca.pem': 'CA-PEM\n',
      'certs/client.pem': 'CLIENT-PEM\n',
      'certs/client.key': 'CLIENT-KEY\n',
      config: `apiVersion: v1
kind: Config
current-context: team
clusters:
- name: lab
  cluster: {server: "https://10.0.0.1:6443/", certificate-authority: ca.pem}
users:
- name: admin
  user: {client-certificate: certs/client.pem, client-key: certs/client.key}
contexts:
- name: team
  context: {cluster: lab, user: admin, namespace: team-ns}
`,
    });
    const c = connection(resolve({ kubeconfig: join(dir, 'config') }, {}));
    expect(c).toMatchObject({
      server: 'https://10.0.0.1:6443',
      ca: 'CA-PEM\n',
      cert: 'CLIENT-PEM\n',
      key: 'CLIENT-KEY\n',
      namespace: 'team-ns',
      context: 'team',
      insecure: false,
    });
    expect(c.token).toBeUndefined();
  });

  it('decodes certificate data, and --namespace wins over the context', () => {
    const dir = folder({
      config: JSON.stringify({
        'current-context': 'c',
        clusters: [{ name: 'k', cluster: { server: 'https://k:443', 'certificate-authority-data': CERT_A } }],
        users: [{ name: 'u', user: { 'client-certificate-data': CERT_A, 'client-key-data': KEY_A } }],
        contexts: [{ name: 'c', context: { cluster: 'k', user: 'u', namespace: 'from-context' } }],
      }),
    });
    const c = connection(resolve({ kubeconfig: join(dir, 'config'), namespace: 'lab' }, {}));
    expect([c.ca, c.cert, c.key, c.namespace]).toEqual(['CERT-A', 'CERT-A', 'KEY-A', 'lab']);
  });

  it('sends the token, or the trimmed contents of tokenFile when both are set; no namespace means "default"', () => {
    const base = (user: object) =>
      JSON.stringify({
        'current-context': 'c',
        clusters: [{ name: 'k', cluster: { server: 'https://k', 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      });
    const dir = folder({ token: 'file-token\n', a: base({ token: 'inline' }), b: base({ token: 'inline', tokenFile: 'token' }) });
    expect(connection(resolve({ kubeconfig: join(dir, 'a') }, {}))).toMatchObject({ token: 'inline', insecure: true, namespace: 'default' });
    expect(connection(resolve({ kubeconfig: join(dir, 'b') }, {})).token).toBe('file-token');
  });

  it('keeps an exec plugin with its command resolved against the kubeconfig folder, its args and env', () => {
    const dir = folder({
      config: `current-context: eks
clusters: [{name: k, cluster: {server: "https://eks.example"}}]
contexts: [{name: eks, context: {cluster: k, user: u}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/plugin
      args: [token, -i, lab]
      env: [{name: AWS_PROFILE, value: lab}]
      provideClusterInfo: true
`,
    });
    expect(connection(resolve({ kubeconfig: join(dir, 'config') }, {})).exec).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: join(dir, 'bin', 'plugin'),
      args: ['token', '-i', 'lab'],
      env: { AWS_PROFILE: 'lab' },
      provideClusterInfo: true,
    });
    // A bare command name is looked up on PATH, as kubectl does.
    const bare = folder({ config: readFileSync(join(dir, 'config'), 'utf8').replace('./bin/plugin', 'aws') });
    expect(connection(resolve({ kubeconfig: join(bare, 'config') }, {})).exec?.command).toBe('aws');
  });

  it('merges a KUBECONFIG list as kubectl does: the first file to set a name or current-context wins, missing files are skipped', () => {
    const one = folder({
      config: `current-context: a
clusters: [{name: shared, cluster: {server: "https://one"}}]
users: [{name: u, user: {token: one-token}}]
contexts: [{name: a, context: {cluster: shared, user: u, namespace: ns-a}}]
`,
    });
    const two = folder({
      config: `current-context: b
clusters: [{name: shared, cluster: {server: "https://two"}}, {name: other, cluster: {server: "https://other"}}]
users: [{name: u, user: {token: two-token}}]
contexts: [{name: b, context: {cluster: other, user: u}}, {name: a, context: {cluster: other, user: u}}]
`,
    });
    const list = [join(one, 'config'), join(one, 'missing'), join(two, 'config')].join(':');
    expect(connection(resolve({}, { KUBECONFIG: list }))).toMatchObject({ context: 'a', server: 'https://one', token: 'one-token', namespace: 'ns-a' });
    // --context picks b, defined only in the second file; its user "u" is still the first file's.
    expect(connection(resolve({ context: 'b' }, { KUBECONFIG: list }))).toMatchObject({
      context: 'b',
      server: 'https://other',
      token: 'one-token',
      namespace: 'default',
    });
    // The second file first: its current context and its "shared" cluster win.
    const reversed = [join(two, 'config'), join(one, 'config')].join(':');
    expect(connection(resolve({}, { KUBECONFIG: reversed }))).toMatchObject({ context: 'b', server: 'https://other', token: 'two-token' });
  });

  it('reads only --kubeconfig when given, else $KUBECONFIG, else ~/.kube/config', () => {
    expect(kubeconfigFiles({ kubeconfig: '/x' }, { KUBECONFIG: '/a:/b', HOME: '/home/me' })).toEqual(['/x']);
    expect(kubeconfigFiles({}, { KUBECONFIG: '/a::/b:/a', HOME: '/home/me' })).toEqual(['/a', '/b']);
    expect(kubeconfigFiles({}, { HOME: '/home/me' })).toEqual(['/home/me/.kube/config']);
    expect(kubeconfigFiles({}, {})).toEqual([]);
  });

  it('names what it leaves to kubectl: auth-provider, proxy-url, a proxy in the environment, a missing context', () => {
    const config = (user: object, cluster: object = {}) =>
      JSON.stringify({
        'current-context': 'c',
        clusters: [{ name: 'k', cluster: { server: 'https://k', ...cluster } }],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      });
    const dir = folder({
      gcp: config({ 'auth-provider': { name: 'gcp' } }),
      proxied: config({ token: 't' }, { 'proxy-url': 'socks5://127.0.0.1:1080' }),
      both: config({ token: 't' }, { 'insecure-skip-tls-verify': true, 'certificate-authority-data': CERT_A }),
      plain: config({ token: 't' }),
      old: config({ exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' } }),
    });
    const why = (target: object, env: Record<string, string> = {}) => {
      const resolved = resolve(target, env);
      return 'unsupported' in resolved ? resolved.unsupported : 'supported';
    };
    expect(why({ kubeconfig: join(dir, 'gcp') })).toBe('the kubeconfig uses auth-provider');
    expect(why({ kubeconfig: join(dir, 'proxied') })).toBe('the kubeconfig uses proxy-url');
    expect(why({ kubeconfig: join(dir, 'both') })).toBe('the cluster sets both insecure-skip-tls-verify and a certificate authority');
    expect(why({ kubeconfig: join(dir, 'plain') }, { HTTPS_PROXY: 'http://proxy:3128' })).toBe('$HTTPS_PROXY is set (kubectl goes through the proxy)');
    expect(why({ kubeconfig: join(dir, 'plain'), context: 'nope' })).toBe('context "nope" is not in the kubeconfig');
    expect(why({ kubeconfig: join(dir, 'old') })).toBe('exec plugin apiVersion "client.authentication.k8s.io/v1alpha1"');
    expect(why({ kubeconfig: join(dir, 'absent') })).toBe(`kubeconfig ${join(dir, 'absent')} cannot be read`);
    expect(why({ kubeconfig: join(dir, 'plain') })).toBe('supported');
  });
});
