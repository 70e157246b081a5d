import { inNamespace, kubectlArgs, type Kubectl } from '../adapters/kubectl.js';
import type { Node, Service } from '../adapters/kube-objects.js';
import { LabError } from '../errors.js';
import { httpGet, type HttpReply, type Source } from './http.js';

/** Where requests to the app's Service go, and how they get there (for the user to read). */
export interface ServiceTarget {
  /** e.g. `http://127.0.0.1:31987 (NodePort 31987 on 127.0.0.1)`. */
  description: string;
  url?: string;
  /** `source` pins the client's address and port (the probe's; see SourceAddresses). */
  get(path: string, timeoutMs: number, source?: Source): Promise<HttpReply>;
}

export function urlTarget(base: string, how: string): ServiceTarget {
  const url = base.replace(/\/+$/, '');
  return { description: `${url} (${how})`, url, get: (path, timeoutMs, source) => httpGet(url + path, timeoutMs, source) };
}

/**
 * Candidate base URLs for a Service, in the order tried: loopback first (kind and k3d port
 * mappings, Docker Desktop and the k8s-lab local cluster answer NodePorts there), then
 * load-balancer addresses, then each node's ExternalIP and InternalIP (minikube, bare metal).
 */
export function serviceCandidates(service: Service, nodes: Node[]): { url: string; how: string }[] {
  const port = service.spec.ports?.[0];
  if (!port) return [];
  const candidates: { url: string; how: string }[] = [];
  if (port.nodePort) candidates.push({ url: `http://127.0.0.1:${port.nodePort}`, how: `NodePort ${port.nodePort} on 127.0.0.1` });
  for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
    const host = ingress.ip ?? ingress.hostname;
    if (host) candidates.push({ url: `http://${host}:${port.port}`, how: `LoadBalancer ${host}` });
  }
  if (port.nodePort) {
    for (const type of ['ExternalIP', 'InternalIP']) {
      for (const node of nodes) {
        for (const address of node.status?.addresses ?? []) {
          if (address.type === type) candidates.push({ url: `http://${address.address}:${port.nodePort}`, how: `NodePort ${port.nodePort} on node ${node.metadata.name} ${type}` });
        }
      }
    }
  }
  return candidates;
}

/** The API server's proxy to a Service: reaches the pods when no node address is reachable. */
export function apiProxyTarget(kubectl: Kubectl, namespace: string, service: Service): ServiceTarget {
  const port = service.spec.ports?.[0]?.name ?? String(service.spec.ports?.[0]?.port ?? 8000);
  const base = `/api/v1/namespaces/${namespace}/services/${service.metadata.name}:${port}/proxy`;
  return {
    description: `the API server's service proxy (${base}/): no node address answered`,
    async get(path, timeoutMs) {
      const started = performance.now();
      const result = await kubectl.tryRun(kubectlArgs.rawGet(kubectl.target, base + path), timeoutMs);
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

/**
 * Finds how to reach the release's Service: `url` when given (e.g. what `minikube service --url`
 * prints), else the first candidate whose /healthz answers, else the API server proxy.
 */
export async function resolveTarget(kubectl: Kubectl, serviceName: string, url?: string): Promise<ServiceTarget> {
  if (url) {
    if (!/^https?:\/\/[^/\s]+/.test(url)) throw new LabError(`--url "${url}" is not an http(s) URL`, 'e.g. --url http://127.0.0.1:31987');
    return urlTarget(url, 'given with --url');
  }
  const service = await kubectl.service(serviceName);
  if (!service) {
    const where = inNamespace(kubectl.target);
    throw new LabError(`Service ${serviceName} not found${where}`, 'deploy the lab first: `k8s-lab deploy`');
  }
  const nodes = service.spec.ports?.[0]?.nodePort ? await kubectl.nodes() : [];
  for (const candidate of serviceCandidates(service, nodes)) {
    const reply = await httpGet(`${candidate.url}/healthz`, 1500);
    if (reply.status !== undefined) return urlTarget(candidate.url, candidate.how);
  }
  return apiProxyTarget(kubectl, await kubectl.namespace(), service);
}
