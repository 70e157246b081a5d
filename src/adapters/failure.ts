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
      'check that the API server answers (`kubectl cluster-info`)',
      detail,
    );
  }
  const stderr = result.stderr;
  const schema = schemaViolations(stderr);
  if (schema.length) {
    return new UsageError(
      `the values do not fit the chart's schema: ${schema.join('; ')}`,
      'fix them in --set / -f (chart/values.yaml has every value with its default)',
      detail,
    );
  }
  if (/quantities must match the regular expression/.test(stderr)) {
    return new UsageError(
      `${doing}: the cluster rejected a resource quantity (a size or CPU value) as not valid`,
      'write quantities like 128Mi, 1Gi, 500m or 0.5',
      detail,
    );
  }
  const context = /context "([^"]+)" does not exist|context was not found for specified context: (\S+)|kube-context "([^"]+)"/.exec(stderr);
  if (context) {
    const name = context[1] ?? context[2] ?? context[3];
    return new UsageError(`kube context "${name}" not found in the kubeconfig`, 'list the contexts with `kubectl config get-contexts`', detail);
  }
  if (/stat .*: no such file or directory|kubeconfig.*not found|error loading config file/i.test(stderr)) {
    return new UsageError(
      `the kubeconfig cannot be read: ${firstLine(stderr).replace(/^kubernetes cluster unreachable: /i, '')}`,
      'pass --kubeconfig with a readable file or set KUBECONFIG',
      detail,
    );
  }
  // Before "unreachable": Helm words a rejected login as "Kubernetes cluster unreachable: the server
  // has asked for the client to provide credentials".
  if (/\(Unauthorized\)|asked for the client to provide credentials/.test(stderr)) {
    return new LabError(
      `${doing}: the API server did not accept the kubeconfig's credentials (Unauthorized)`,
      'log in again or renew the token or certificate in the kubeconfig (`kubectl cluster-info` checks it)',
      detail,
    );
  }
  if (
    /Unable to connect to the server|connection refused|The connection to the server .* was refused|no such host|i\/o timeout|Kubernetes cluster unreachable|dial tcp|TLS handshake timeout|the server could not find the requested resource \(get/i.test(
      stderr,
    )
  ) {
    return new LabError(
      `${doing}: cannot reach the Kubernetes API server`,
      'is the cluster running? check --context / --kubeconfig (`kubectl cluster-info`)',
      detail,
    );
  }
  if (/forbidden/i.test(stderr)) return forbidden(doing, stderr, detail);
  return new LabError(
    `${doing}: ${tool} failed: ${firstLine(stderr) || `exit code ${result.exitCode}`}`,
    'run again with --verbose to see all it said',
    detail,
  );
}

/** A "forbidden" answer, naming who may not do what where when the server says so. */
function forbidden(doing: string, text: string, detail: string): LabError {
  const denied = /User "([^"]+)" cannot (\S+) resource "([^"]+)"(?: in API group "[^"]*")? (?:in the namespace "([^"]+)"|at the cluster scope)/.exec(text);
  if (denied) {
    const [, user, verb, resource, namespace] = denied;
    const where = namespace ? `in namespace ${namespace}` : 'at the cluster scope';
    return new LabError(
      `${doing}: not allowed: ${user} may not ${verb} ${resource} ${where}`,
      `ask for access ${namespace ? `to namespace ${namespace}` : 'to the cluster'} (\`kubectl auth can-i --list${namespace ? ` -n ${namespace}` : ''}\` shows yours), or use another context`,
      detail,
    );
  }
  return new LabError(
    `${doing}: not allowed: ${firstLine(text)}`,
    'ask for access to the namespace (`kubectl auth can-i --list` shows yours), or use another context',
    detail,
  );
}

/**
 * What went wrong when k8s-lab read the API server itself (kube-api.ts), as the same one line a
 * failed kubectl call gives: no answer (unreachable, TLS refused), Unauthorized, Forbidden.
 * Undefined for any other answer: the caller asks kubectl, whose error is the one to report.
 */
export function apiFailure(doing: string, server: string, answer: { statusCode: number; body: string } | Error): LabError | undefined {
  if (answer instanceof LabError) return answer;
  if (answer instanceof Error) {
    const code = (answer as NodeJS.ErrnoException).code;
    return new LabError(
      `${doing}: cannot reach the Kubernetes API server`,
      'is the cluster running? check --context / --kubeconfig (`kubectl cluster-info`)',
      `GET ${server}: ${code ? `${code} ` : ''}${answer.message}`,
    );
  }
  let message = answer.body.trim();
  try {
    message = (JSON.parse(answer.body) as { message?: string }).message ?? message;
  } catch {
    // not a Status object: the body as it came
  }
  const detail = `GET ${server} → HTTP ${answer.statusCode}\n${answer.body.trim()}`;
  if (answer.statusCode === 401) {
    return new LabError(
      `${doing}: the API server did not accept the kubeconfig's credentials (Unauthorized)`,
      'log in again or renew the token or certificate in the kubeconfig (`kubectl cluster-info` checks it)',
      detail,
    );
  }
  if (answer.statusCode === 403) return forbidden(doing, message || 'forbidden', detail);
  return undefined;
}

const MAX_LINE = 240;

/**
 * The line of a tool's stderr that says what went wrong: klog and Helm warnings are skipped, and
 * Helm's `Error: 1 error occurred:` gives way to the error it lists. Cut to fit one terminal line or two.
 */
export function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(W|I)\d{4} /.test(l) && !/^WARNING:/i.test(l));
  const first = (lines[0] ?? '').replace(/^Error: /, '').replace(/^error: /, '');
  const listed = /^\d+ errors? occurred:$/.test(first) ? lines.find((l) => l.startsWith('* '))?.slice(2) : undefined;
  const line = listed ?? first;
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}

/**
 * Helm's schema errors, one per offending value, as `field: why`. Helm 3 prints
 * `- replicaCount: Must be greater than or equal to 0`, Helm 4 `- at '/replicaCount': minimum: got -1, want 0`.
 */
export function schemaViolations(stderr: string): string[] {
  if (!/values don't meet the specifications of the schema/.test(stderr)) return [];
  return stderr
    .split('\n')
    .map((line) => /^- (.+)$/.exec(line.trim())?.[1])
    .filter((item): item is string => item !== undefined)
    .map((item) => item.replace(/^at '\/?([^']*)': /, (_, path: string) => `${path.replaceAll('/', '.') || '(top level)'}: `));
}

function toolName(result: ToolResult): string {
  // `/usr/local/bin/helm`, `C:\\tools\\kubectl.exe`: the file name, either separator.
  const base = result.call.bin.split(/[\\/]/).pop() ?? result.call.bin;
  return base.startsWith('helm') ? 'helm' : base.startsWith('kubectl') ? 'kubectl' : base;
}
