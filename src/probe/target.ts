import { inNamespace, type Kubectl } from '../adapters/kubectl.js';
import { nodesIfAllowed } from '../adapters/permissions.js';
import type { Node, Service } from '../adapters/kube-objects.js';
import { LabError, UsageError } from '../errors.js';
import { CANDIDATE_HEALTH_MS, ROUTE_POLL_MS } from '../limits.js';
import { httpGet, type HttpReply, type Source } from './http.js';

/** Where requests to the app's Service go, and how they get there (for the user to read). */
export interface ServiceTarget {
  /** e.g. `http://127.0.0.1:31987 (NodePort 31987 on 127.0.0.1)`. */
  description: string;
  url?: string;
  /**
   * Requests go through the API server's service proxy (the last fallback): their figures include
   * the API server's hop, which a client of the NodePort does not have. Run records keep this.
   */
  viaApiServer?: boolean;
  /** `source` pins the client's address and port (the probe's; see SourceAddresses). */
  get(path: string, timeoutMs: number, source?: Source): Promise<HttpReply>;
}

export function urlTarget(base: string, how: string): ServiceTarget {
  const url = base.replace(/\/+$/, '');
  return { description: `${url} (${how})`, url, get: (path, timeoutMs, source) => httpGet(url + path, timeoutMs, source) };
}

/**
 * Waits until the target answers /healthz with any HTTP status, at most `limitMs`: right after a
 * deploy the Service's NodePort may refuse connections for a moment, until kube-proxy has written
 * its rules (seen on a loaded machine). An HTTP answer, even an error, means the route is there.
 * Calls `waiting` once, with the reason, if the first try did not answer. Returns the last reply.
 */
export async function untilRouted(target: ServiceTarget, limitMs: number, waiting: (reason: string) => void): Promise<HttpReply> {
  const deadline = performance.now() + limitMs;
  let reply = await target.get('/healthz', CANDIDATE_HEALTH_MS);
  if (reply.status === undefined) waiting(reply.error ?? 'no answer');
  while (reply.status === undefined && performance.now() + ROUTE_POLL_MS < deadline) {
    await new Promise((resolve) => setTimeout(resolve, ROUTE_POLL_MS));
    reply = await target.get('/healthz', CANDIDATE_HEALTH_MS);
  }
  return reply;
}

/** A base URL to try, and how it reaches the Service (for the user to read). */
interface Candidate {
  url: string;
  how: string;
}

/**
 * Candidate base URLs for a Service are tried in this order: loopback first (kind and k3d port
 * mappings, Docker Desktop and the k8s-lab local cluster answer NodePorts there), then
 * load-balancer addresses (these two need no node list), then each node's ExternalIP and
 * InternalIP (minikube, bare metal).
 */
export function serviceAddressCandidates(service: Service): Candidate[] {
  const port = service.spec.ports?.[0];
  if (!port) return [];
  const candidates: Candidate[] = [];
  if (port.nodePort) candidates.push({ url: `http://127.0.0.1:${port.nodePort}`, how: `NodePort ${port.nodePort} on 127.0.0.1` });
  for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
    const host = ingress.ip ?? ingress.hostname;
    if (host) candidates.push({ url: `http://${host}:${port.port}`, how: `LoadBalancer ${host}` });
  }
  return candidates;
}

/** Each node's ExternalIP, then each node's InternalIP, at the Service's NodePort. */
export function nodeCandidates(service: Service, nodes: Node[]): Candidate[] {
  const nodePort = service.spec.ports?.[0]?.nodePort;
  if (!nodePort) return [];
  return ['ExternalIP', 'InternalIP'].flatMap((type) =>
    nodes.flatMap((node) =>
      (node.status?.addresses ?? [])
        .filter((a) => a.type === type)
        .map((a) => ({ url: `http://${a.address}:${nodePort}`, how: `NodePort ${nodePort} on node ${node.metadata.name} ${type}` })),
    ),
  );
}

/**
 * The API server's proxy to a Service: reaches the pods when no node address is reachable. Through
 * the reader attached to `kubectl` (k8s-lab's own connection, or one `kubectl proxy` where the
 * kubeconfig needs kubectl: one for every request; the demos attach one),
 * else one `kubectl get --raw` per request.
 */
export function apiProxyTarget(kubectl: Kubectl, namespace: string, service: Service, why = 'no node address answered'): ServiceTarget {
  const port = service.spec.ports?.[0]?.name ?? String(service.spec.ports?.[0]?.port ?? 8000);
  const base = `/api/v1/namespaces/${namespace}/services/${service.metadata.name}:${port}/proxy`;
  if (kubectl.readsThroughProxy) {
    return {
      description: `the API server's service proxy (${base}/) through one API connection (k8s-lab's own, or one kubectl proxy): ${why}`,
      viaApiServer: true,
      get: (path, timeoutMs) => throughProxy(kubectl, base + path, timeoutMs),
    };
  }
  return {
    description: `the API server's service proxy (${base}/), one kubectl get --raw per request: ${why}`,
    viaApiServer: true,
    async get(path, timeoutMs) {
      const started = performance.now();
      const result = await kubectl.rawGet(base + path, timeoutMs);
      const ms = Math.round(performance.now() - started);
      if (result.exitCode !== 0) return { ok: false, error: result.stderr.trim().split('\n')[0] ?? 'kubectl failed', ms };
      try {
        return { ok: true, status: 200, body: JSON.parse(result.stdout), ms };
      } catch {
        return { ok: true, status: 200, ms };
      }
    },
  };
}

/** One GET through the attached kubectl proxy, as a NodePort request would answer: any HTTP status, its JSON body. */
async function throughProxy(kubectl: Kubectl, path: string, timeoutMs: number): Promise<HttpReply> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)));
  const answer = await Promise.race([kubectl.proxyGet(path)!.catch((error: Error) => error), timeout]);
  clearTimeout(timer);
  if (answer instanceof Error) return { ok: false, error: answer.message, ms: ms() };
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    body = undefined;
  }
  return { ok: answer.statusCode >= 200 && answer.statusCode < 300, status: answer.statusCode, body, ms: ms() };
}

/**
 * Finds how to reach the release's Service: `url` when given (e.g. what `minikube service --url`
 * prints), else the first candidate whose /healthz answers, else the API server proxy. The nodes
 * are read only when loopback and load balancers did not answer, and a user who may not list them
 * (RBAC bound to one namespace) goes on to the proxy, which then says so.
 */
export async function resolveTarget(
  kubectl: Kubectl,
  serviceName: string,
  url?: string,
  /** Starts a `kubectl proxy` for the last fallback when `kubectl` has none attached (the caller stops it). */
  openProxy?: () => Promise<Kubectl | undefined>,
): Promise<ServiceTarget> {
  if (url) {
    if (!/^https?:\/\/[^/\s]+/.test(url)) throw new LabError(`--url "${url}" is not an http(s) URL`, 'e.g. --url http://127.0.0.1:31987');
    return urlTarget(url, 'given with --url');
  }
  const service = await kubectl.service(serviceName);
  if (!service) {
    const where = inNamespace(kubectl.target);
    throw new LabError(`Service ${serviceName} not found${where}`, 'deploy the lab first: `k8s-lab deploy`');
  }
  const answering = await firstAnswering(serviceAddressCandidates(service));
  if (answering) return answering;
  const nodes = service.spec.ports?.[0]?.nodePort ? await nodesIfAllowed(kubectl) : [];
  const onNode = nodes === 'forbidden' ? undefined : await firstAnswering(nodeCandidates(service, nodes));
  if (onNode) return onNode;
  const why = nodes === 'forbidden' ? 'no address answered, and node addresses were skipped: not allowed to list nodes' : undefined;
  const through = kubectl.readsThroughProxy ? kubectl : ((await openProxy?.()) ?? kubectl);
  return apiProxyTarget(through, await kubectl.namespace(), service, why);
}

/**
 * A demo's --url must reach the release it changes: its /healthz answered by one of the release's
 * pods (`<release>-<ordinal>`). Asked before the first change: a URL that does not answer, or is
 * another release's, would make every probe request fail or measure the wrong pods. Callers ask it
 * only of a URL the user gave.
 */
export async function checkUrlServes(target: ServiceTarget, release: string): Promise<void> {
  const reply = await target.get('/healthz', CANDIDATE_HEALTH_MS * 2);
  const pod = (reply.body as { pod?: unknown } | undefined)?.pod;
  if (reply.status === undefined)
    throw new UsageError(
      `--url ${target.url ?? target.description} does not answer (${reply.error ?? 'no reply'}); nothing was changed`,
      `check it (curl ${target.url ?? ''}/healthz), or leave out --url to find the Service`,
    );
  if (typeof pod !== 'string' || !new RegExp(`^${release.replace(/[.-]/g, '\\$&')}-\\d+$`).test(pod))
    throw new UsageError(
      `--url ${target.url ?? target.description} is not release ${release}: its /healthz answered HTTP ${reply.status}${typeof pod === 'string' ? ` from pod ${pod}` : ' without a pod name'}; nothing was changed`,
      `pass the URL of ${release}'s Service, or leave out --url to find it`,
    );
}

async function firstAnswering(candidates: Candidate[]): Promise<ServiceTarget | undefined> {
  for (const candidate of candidates) {
    const reply = await httpGet(`${candidate.url}/healthz`, CANDIDATE_HEALTH_MS);
    if (reply.status !== undefined) return urlTarget(candidate.url, candidate.how);
  }
  return undefined;
}
