import { describe, expect, it } from 'vitest';
import { toolFailure, firstLine } from '../../src/adapters/failure.js';
import { ExitCode } from '../../src/errors.js';
import type { ToolResult } from '../../src/process/runner.js';

const result = (stderr: string, extra: Partial<ToolResult> = {}): ToolResult => ({
  call: { bin: '/usr/bin/kubectl', args: ['get', 'pods'], timeoutMs: 20_000 },
  exitCode: 1,
  stdout: '',
  stderr,
  timedOut: false,
  notFound: false,
  durationMs: 5,
  ...extra,
});

// stderr lines as kubectl 1.32 and helm 3/4 print them.
describe('toolFailure', () => {
  it.each([
    [
      'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?',
      /cannot reach the Kubernetes API server/,
      ExitCode.failed,
    ],
    ['Unable to connect to the server: dial tcp 10.255.255.1:443: i/o timeout', /cannot reach the Kubernetes API server/, ExitCode.failed],
    ['error: context "nope" does not exist', /kube context "nope" not found/, ExitCode.usage],
    ['Error: kube-context "nope" not found', /kube context "nope" not found/, ExitCode.usage],
    [
      'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "lab"',
      /not allowed/,
      ExitCode.failed,
    ],
    ['Error from server (InternalError): etcd is sad', /kubectl failed: Error from server \(InternalError\): etcd is sad/, ExitCode.failed],
  ])('%s', (stderr, message, exitCode) => {
    const error = toolFailure(result(stderr), 'listing pods');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    expect(error.exitCode).toBe(exitCode);
    expect(error.detail).toContain(stderr);
  });

  it('says a call timed out and how long it waited', () => {
    expect(toolFailure(result('', { timedOut: true }), 'listing pods').message).toBe('listing pods: kubectl did not answer within 20 s');
  });

  it('skips klog warnings to find the real error line', () => {
    expect(firstLine('W1124 03:00:00.000 1 warnings.go:70] skew\nError: boom\n')).toBe('boom');
  });
});

// Real stderr of Helm 3.17 / 4.1 and kubectl 1.32 against Kubernetes 1.20 (the bad-input e2e cases).
describe('toolFailure on bad input', () => {
  const helm = (stderr: string) => result(stderr, { call: { bin: '/x/helm', args: ['template'], timeoutMs: 30_000 } });

  it.each([
    [
      'Helm 3',
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nk8s-lab-counter:\n- replicaCount: Must be greater than or equal to 0\n\n",
      "the values do not fit the chart's schema: replicaCount: Must be greater than or equal to 0",
    ],
    [
      'Helm 4',
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nk8s-lab-counter:\n- at '/replicaCount': minimum: got -1, want 0\n",
      "the values do not fit the chart's schema: replicaCount: minimum: got -1, want 0",
    ],
    [
      'Helm 4, nested and several',
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nk8s-lab-counter:\n- at '/service': additional properties 'nodeport' not allowed\n- at '/image/tag': got number, want string\n",
      "the values do not fit the chart's schema: service: additional properties 'nodeport' not allowed; image.tag: got number, want string",
    ],
  ])('names every field the schema rejects (%s), as a usage error', (_, stderr, message) => {
    const error = toolFailure(helm(stderr), 'checking the values against the chart');
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(ExitCode.usage);
  });

  it('says who may not do what, where, in one line', () => {
    const error = toolFailure(
      helm(
        'Error: list: failed to list: secrets is forbidden: User "system:serviceaccount:lab:nobody" cannot list resource "secrets" in API group "" in the namespace "lab"\n',
      ),
      'helm list',
    );
    expect(error.message).toBe('helm list: not allowed: system:serviceaccount:lab:nobody may not list secrets in namespace lab');
    expect(error.hint).toContain('kubectl auth can-i --list -n lab');
    expect(error.exitCode).toBe(ExitCode.failed);
  });

  it('reads the error Helm lists under "1 error occurred:", and a quantity the API server rejects is a usage error', () => {
    const stderr =
      'Error: 1 error occurred:\n\t* StatefulSet in version "v1" cannot be handled as a StatefulSet: v1.StatefulSet.Spec: Limits: unmarshalerDecoder: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\', error found in #10 byte of ...|ry":"lots"}\n\n';
    expect(firstLine(stderr)).toMatch(/^StatefulSet in version "v1" cannot be handled/);
    const error = toolFailure(helm(stderr), 'helm upgrade --install helm-python');
    expect(error.message).toMatch(/rejected a resource quantity/);
    expect(error.exitCode).toBe(ExitCode.usage);
    const helm4 = toolFailure(
      helm(
        "Error: failed to convert new object to proper version: unable to convert unstructured object to apps/v1, Kind=StatefulSet: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n",
      ),
      'helm upgrade --install helm-python',
    );
    expect(helm4.message).toMatch(/rejected a resource quantity/);
  });

  it.each([
    ['kubectl', 'error: You must be logged in to the server (Unauthorized)\n'],
    ['Helm 3', 'Error: Kubernetes cluster unreachable: the server has asked for the client to provide credentials\n'],
    ['Helm 4', 'Error: kubernetes cluster unreachable: the server has asked for the client to provide credentials\n'],
  ])('a login the API server rejects (%s) is not an unreachable cluster', (_, stderr) => {
    const error = toolFailure(helm(stderr), 'helm list');
    expect(error.message).toBe("helm list: the API server did not accept the kubeconfig's credentials (Unauthorized)");
    expect(error.hint).toMatch(/renew the token/);
  });

  it('cuts an endless line so the message stays readable', () => {
    expect(firstLine(`Error: ${'x'.repeat(1000)}`)).toHaveLength(240);
  });
});

describe('toolFailure on an unreadable kubeconfig', () => {
  it.each([
    "Error: Kubernetes cluster unreachable: error loading config file \"/tmp/kc\": yaml: line 1: did not find expected ',' or ']'\n",
    "Error: kubernetes cluster unreachable: error loading config file \"/tmp/kc\": yaml: line 1: did not find expected ',' or ']'\n",
    "error: error loading config file \"/tmp/kc\": yaml: line 1: did not find expected ',' or ']'\n",
  ])('%j is a usage error that names the file', (stderr) => {
    const error = toolFailure(result(stderr), 'helm list');
    expect(error.message).toBe("the kubeconfig cannot be read: error loading config file \"/tmp/kc\": yaml: line 1: did not find expected ',' or ']'");
    expect(error.exitCode).toBe(ExitCode.usage);
  });
});
