import { LabError, UsageError } from '../errors.js';
import { formatCall, type ToolResult } from '../process/runner.js';

/** Turns a failed helm/kubectl call into one line a person can act on; stderr is kept for --verbose. */
export function toolFailure(result: ToolResult, doing: string): LabError {
  const tool = toolName(result);
  const detail = `${formatCall(result.call)}\n${result.stderr.trim()}`;
  if (result.notFound) {
    return new LabError(
      `${tool} not found (looked for ${result.call.bin})`,
      `install ${tool}, put it on PATH or set K8S_LAB_${tool.toUpperCase()}; \`npm run tools\` fetches helm and kubectl into .tools/bin`,
    );
  }
  if (result.timedOut) {
    return new LabError(
      `${doing}: ${tool} did not answer within ${Math.round(result.call.timeoutMs / 1000)} s`,
      'check that the cluster is reachable (`kubectl cluster-info`) or raise --timeout',
      detail,
    );
  }
  const stderr = result.stderr;
  const context = /context "([^"]+)" does not exist|context was not found for specified context: (\S+)|kube-context "([^"]+)"/.exec(stderr);
  if (context) {
    const name = context[1] ?? context[2] ?? context[3];
    return new UsageError(`kube context "${name}" not found in the kubeconfig`, 'list the contexts with `kubectl config get-contexts`', detail);
  }
  if (/stat .*: no such file or directory|kubeconfig.*not found|error loading config file/i.test(stderr)) {
    return new UsageError(`the kubeconfig cannot be read: ${firstLine(stderr)}`, 'pass --kubeconfig with a readable file or set KUBECONFIG', detail);
  }
  if (/Unable to connect to the server|connection refused|The connection to the server .* was refused|no such host|i\/o timeout|Kubernetes cluster unreachable|dial tcp|TLS handshake timeout|the server could not find the requested resource \(get/i.test(stderr)) {
    return new LabError(
      `${doing}: cannot reach the Kubernetes API server`,
      'is the cluster running? check --context / --kubeconfig (`kubectl cluster-info`)',
      detail,
    );
  }
  if (/forbidden/i.test(stderr)) {
    return new LabError(`${doing}: not allowed — ${firstLine(stderr)}`, 'ask for the RBAC permissions the README lists, or use another namespace', detail);
  }
  return new LabError(`${doing}: ${tool} failed — ${firstLine(stderr) || `exit code ${result.exitCode}`}`, undefined, detail);
}

export function firstLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l && !/^(W|I)\d{4} /.test(l) && !/^WARNING:/i.test(l));
  return (line ?? '').replace(/^Error: /, '').replace(/^error: /, '');
}

function toolName(result: ToolResult): string {
  const base = result.call.bin.split('/').pop() ?? result.call.bin;
  return base.startsWith('helm') ? 'helm' : base.startsWith('kubectl') ? 'kubectl' : base;
}
