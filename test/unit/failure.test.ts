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
    ['The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?', /cannot reach the Kubernetes API server/, ExitCode.failed],
    ['Unable to connect to the server: dial tcp 10.255.255.1:443: i/o timeout', /cannot reach the Kubernetes API server/, ExitCode.failed],
    ['error: context "nope" does not exist', /kube context "nope" not found/, ExitCode.usage],
    ['Error: kube-context "nope" not found', /kube context "nope" not found/, ExitCode.usage],
    ['Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "lab"', /not allowed/, ExitCode.failed],
    ['Error from server (InternalError): etcd is sad', /kubectl failed — Error from server \(InternalError\): etcd is sad/, ExitCode.failed],
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
