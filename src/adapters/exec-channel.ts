// The exec channel and the answers read through the API server, shared by `kubectl proxy`
// (pod-exec.ts) and the API server read from Node (kube-api.ts).

/** The exec subprotocol every API server since 1.4 speaks: channel byte first, status JSON on 3. */
export const EXEC_PROTOCOL = 'v4.channel.k8s.io';
/** The API path of an exec without stdin or TTY. */
export function execPath(namespace: string, pod: string, container: string, command: string[]): string {
  const query = new URLSearchParams([
    ['container', container],
    ...command.map((c): [string, string] => ['command', c]),
    ['stdout', 'true'],
    ['stderr', 'true'],
  ]);
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${query}`;
}

export interface ExecOutput {
  stdout: string;
  stderr: string;
  /** The API's Status for the finished command ("Success", or a Failure with the exit code); undefined if it never came. */
  status?: { status?: string; message?: string; reason?: string };
}

/** Splits the v4 channel's binary messages: 1 stdout, 2 stderr, 3 status (JSON). Empty messages open a channel. */
export function parseExecMessages(messages: Buffer[]): ExecOutput {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let status: ExecOutput['status'];
  for (const data of messages) {
    if (data.length < 2) continue;
    const body = data.subarray(1);
    if (data[0] === 1) out.push(body);
    else if (data[0] === 2) err.push(body);
    else if (data[0] === 3) status = JSON.parse(body.toString('utf8')) as ExecOutput['status'];
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status };
}

/** An HTTP answer read through `kubectl proxy` or from the API server. */
export interface ProxyResponse {
  statusCode: number;
  body: string;
}

/** Reads the API server: through `kubectl proxy` (KubeProxy) or from Node (KubeApi). */
export interface ApiReader {
  /** A GET of an API path: any HTTP status; rejects when no answer came. */
  get(path: string): Promise<ProxyResponse>;
  /** Runs a command in a pod's container; throws unless it ran and exited 0. */
  exec(namespace: string, pod: string, container: string, command: string[]): Promise<string>;
  stop(): Promise<void>;
}
