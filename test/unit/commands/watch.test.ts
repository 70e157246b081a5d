import { describe, expect, it } from 'vitest';
import { callsOf, kubectl, runCommand } from '../../support/fake-cluster.js';
import { NS, pod, SELECTOR, statefulSet } from '../../support/cluster-objects.js';

const LIST_PODS = kubectl([...NS, 'get', 'pods', '--selector', SELECTOR, '--output', 'json', '--request-timeout=10s'], { stdout: { items: [pod(0), pod(1)] } });
/** What `kubectl get --watch --output-watch-events -o json` prints: one JSON document per event. */
const events = (...objects: [string, object][]) => objects.map(([type, object]) => JSON.stringify({ type, object })).join('\n');
const WATCH_PODS = (stdout: string) =>
  kubectl([...NS, 'get', 'pods', '--selector', SELECTOR, '--watch', '--output-watch-events', '--output', 'json'], { stdout, exitCode: 0 });
const WATCH_STS = (stdout: string) =>
  kubectl([...NS, 'get', 'statefulset', 'helm-python', '--watch', '--output-watch-events', '--output', 'json'], { stdout, exitCode: 0 });

describe('k8s-lab watch', () => {
  it('off a terminal: the pods at the start, then each change as a timestamped line; one watch per kind; exit 0 after --for', async () => {
    const going = { ...pod(1), metadata: { ...pod(1).metadata, deletionTimestamp: '2026-11-24T03:20:01Z' } };
    // The StatefulSet's watch starts first; the pods' after listing them (which pods are there now).
    const script = [WATCH_STS(events(['ADDED', statefulSet()])), LIST_PODS, WATCH_PODS(events(['ADDED', pod(0)], ['ADDED', pod(1)], ['MODIFIED', going]))];
    const run = await runCommand(['-n', 'lab', 'watch', '--for', '300ms'], script);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.calls).toEqual(callsOf(script));
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('watching helm-python in namespace lab for 0.3 s');
    // Times are ms since the start: the fake answers at once, well under a second.
    expect(lines.slice(1).map((line) => line.replace(/^ +0\.\d s {2}/, 'T  '))).toEqual([
      'T  helm-python-0  Ready (at the start)  v1',
      'T  helm-python-1  Ready (at the start)  v1',
      'T  helm-python-1  deleting  v1',
      // A pod being deleted no longer counts as Ready (the pod watch's rule, as in the run record).
      'T  helm-python-1  not Ready  v1',
    ]);
  });

  it('--json: the pods and StatefulSet as last seen on stdout, nothing else there', async () => {
    const script = [LIST_PODS, WATCH_PODS(events(['ADDED', pod(0)], ['ADDED', pod(1)])), WATCH_STS(events(['ADDED', statefulSet()]))];
    const run = await runCommand(['-n', 'lab', '--json', 'watch', '--for', '200ms'], script);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { pods: { name: string; state: string; version: string }[]; statefulSet: { replicas: number }; probe: null };
    expect(result.pods.map((p) => [p.name, p.state, p.version])).toEqual([
      ['helm-python-0', 'Ready', 'v1'],
      ['helm-python-1', 'Ready', 'v1'],
    ]);
    expect(result.statefulSet.replicas).toBe(statefulSet().spec.replicas);
    expect(result.probe).toBeNull();
  });

  it('a --for that is not a duration is a usage error: exit 2, no call', async () => {
    const run = await runCommand(['-n', 'lab', 'watch', '--for', 'soon'], []);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: '✖ --for "soon" is invalid: expected a duration such as 90s, 5m or 1m30s — see k8s-lab watch --help\n',
      calls: [],
    });
  });
});

describe('k8s-lab watch across an API server restart', () => {
  it('the pod watch breaks (connection refused), a list is refused, the next one answers: one line says so, the change after it is shown once', async () => {
    const REFUSED = 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?';
    const going = { ...pod(1), metadata: { ...pod(1).metadata, deletionTimestamp: '2026-11-24T03:20:01Z' } };
    const script = [
      // The StatefulSet's watch fails for good (exit 1, nothing transient): it is not resumed.
      kubectl([...NS, 'get', 'statefulset', 'helm-python', '--watch', '--output-watch-events', '--output', 'json'], {
        stdout: events(['ADDED', statefulSet()]),
      }),
      LIST_PODS,
      kubectl([...NS, 'get', 'pods', '--selector', SELECTOR, '--watch', '--output-watch-events', '--output', 'json'], {
        stdout: events(['ADDED', pod(0)], ['ADDED', pod(1)]),
        exitCode: 1,
        stderr: REFUSED,
      }),
      kubectl([...NS, 'get', 'pods', '--selector', SELECTOR, '--output', 'json', '--request-timeout=10s'], { exitCode: 1, stderr: REFUSED }),
      LIST_PODS,
      // The new watch lists both pods again (nothing new), then one change.
      kubectl([...NS, 'get', 'pods', '--selector', SELECTOR, '--watch', '--output-watch-events', '--output', 'json'], {
        stdout: events(['ADDED', pod(0)], ['ADDED', pod(1)], ['MODIFIED', going]),
      }),
    ];
    const run = await runCommand(['-n', 'lab', 'watch', '--for', '3s'], script);
    expect(run.code, run.stderr).toBe(0);
    expect(run.calls).toEqual(callsOf(script));
    const lines = run.stderr.trimEnd().split('\n');
    // Away from the break to the list that answered: at least the 1 s before the first list and the 1 s after the refused one.
    const away = lines.find((line) => line.includes('the API server was away'));
    expect(away).toMatch(/the API server was away (2|3)\.\d s \(API server refused connections\): listed again, watching on, nothing missed/);
    expect(lines.filter((line) => /helm-python-1 {2}deleting/.test(line))).toHaveLength(1);
    expect(lines.filter((line) => /at the start/.test(line))).toHaveLength(2);
  });
});
