import { LabError, UsageError } from '../errors.js';
import { HELM_CALL_MS } from '../limits.js';
import type { Runner, ToolCall } from '../process/runner.js';
import { toolFailure } from './failure.js';
import type { KubeTarget } from './kubectl.js';
import { parseJson } from './kube-objects.js';

export type HelmMajor = 3 | 4;

export interface HelmVersion {
  major: HelmMajor;
  version: string;
}

/** The oldest Helm 3 with everything used here (`--create-namespace`, `-o json` on upgrade). */
const MIN_HELM3_MINOR = 8;
/** The oldest Helm 3 with `--reset-then-reuse-values` (deploy --migrate). */
export const RESET_THEN_REUSE_HELM3_MINOR = 14;

/** The fields of a Helm release (`helm status -o json`, `helm upgrade -o json`) that k8s-lab reads. */
export interface HelmRelease {
  name: string;
  namespace: string;
  version: number;
  info: { status: string; description?: string; last_deployed?: string; notes?: string };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
  config?: Record<string, unknown>;
}

/** One row of `helm list -o json`: the only place Helm reports the chart and app version. */
export interface HelmListEntry {
  name: string;
  namespace: string;
  revision: string;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
}

export interface UpgradeRequest {
  release: string;
  chart: string;
  valuesFiles: string[];
  sets: string[];
  /** Values helm must keep as strings (`--set-string`): versions like 1.10 or tags like 3.12. */
  setStrings: string[];
  timeout: string;
  /**
   * Keep the installed release's values under the ones given (`--reset-then-reuse-values`, Helm
   * 3.14+ and 4): the chart's defaults, then the release's values, then -f and --set.
   */
  keepValues?: boolean;
}

/** The release `helm upgrade -o json` printed (the output of helmChanges.upgradeInstall / upgradeReusing). */
export function parseRelease(stdout: string): HelmRelease {
  return parseJson<HelmRelease>(stdout, 'the helm release');
}

/** Parses `helm version --short` (e.g. `v4.1.4+g05fa379`); Helm 2 prints `Client: v2...`. */
export function parseHelmVersion(output: string): HelmVersion {
  const match = /v(\d+)\.(\d+)\.(\d+)[^\s]*/.exec(output);
  if (!match) throw new LabError(`could not read the helm version from "${output.trim()}"`, 'check the helm binary (`helm version`)');
  const [version, major, minor] = [match[0], Number(match[1]), Number(match[2])];
  if (major === 3 && minor < MIN_HELM3_MINOR) {
    throw new LabError(`helm ${version} is too old: k8s-lab needs Helm 3.${MIN_HELM3_MINOR}+ or Helm 4`, 'install a newer Helm or run `npm run tools`');
  }
  if (major !== 3 && major !== 4) {
    throw new LabError(`helm ${version} is not supported: k8s-lab needs Helm 3 or Helm 4`, 'install Helm 3.8+ or 4, or run `npm run tools`');
  }
  return { major, version: version.replace(/\+.*$/, '') };
}

// Argument builders: pure, table-tested. Helm's major version decides the wait flags.
export const helmArgs = {
  scope(target: KubeTarget): string[] {
    return [
      ...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []),
      ...(target.context ? ['--kube-context', target.context] : []),
      ...(target.namespace ? ['--namespace', target.namespace] : []),
    ];
  },
  version(): string[] {
    return ['version', '--short'];
  },
  /**
   * Helm 3 waits only when told (`--wait`); Helm 4's `--wait` takes a strategy and defaults to
   * `hookOnly`. k8s-lab waits on the pods itself after an upgrade, so it asks neither to wait for
   * resources, and says so explicitly for Helm 4.
   */
  upgradeWait(major: HelmMajor): string[] {
    return major === 4 ? ['--wait=hookOnly'] : [];
  },
  /** Uninstall waits until the resources are gone: a bare flag in Helm 3, a strategy in Helm 4. */
  deleteWait(major: HelmMajor): string[] {
    return major === 4 ? ['--wait=watcher'] : ['--wait'];
  },
  upgradeInstall(target: KubeTarget, major: HelmMajor, request: UpgradeRequest): string[] {
    return [
      ...this.scope(target),
      'upgrade',
      '--install',
      request.release,
      request.chart,
      // No --create-namespace: it needs the right to create namespaces even when the namespace
      // exists. deploy creates a missing one itself, once the values are known to work.
      ...(request.keepValues ? ['--reset-then-reuse-values'] : []),
      ...request.valuesFiles.flatMap((file) => ['--values', file]),
      ...this.upgradeTail(major, request),
    ];
  },
  /** Renders the chart locally with the values an upgrade would get: schema and templates, no cluster. */
  template(target: KubeTarget, request: Omit<UpgradeRequest, 'timeout'>): string[] {
    return [
      ...(target.namespace ? ['--namespace', target.namespace] : []),
      'template',
      request.release,
      request.chart,
      ...request.valuesFiles.flatMap((file) => ['--values', file]),
      ...request.sets.flatMap((set) => ['--set', set]),
      ...request.setStrings.flatMap((set) => ['--set-string', set]),
    ];
  },
  /**
   * A spec change of an installed release, on top of its current values (`--reuse-values`), so
   * Helm stays the source of truth for every field the demos change.
   */
  upgradeReusing(target: KubeTarget, major: HelmMajor, request: Omit<UpgradeRequest, 'valuesFiles'>): string[] {
    return [...this.scope(target), 'upgrade', request.release, request.chart, '--reuse-values', ...this.upgradeTail(major, request)];
  },
  /** Values, timeout, wait and JSON output: the same for both kinds of upgrade. */
  upgradeTail(major: HelmMajor, request: Pick<UpgradeRequest, 'sets' | 'setStrings' | 'timeout'>): string[] {
    return [
      ...request.sets.flatMap((set) => ['--set', set]),
      ...request.setStrings.flatMap((set) => ['--set-string', set]),
      '--timeout',
      request.timeout,
      ...this.upgradeWait(major),
      '--output',
      'json',
    ];
  },
  /**
   * Back to an earlier revision's manifests and values; k8s-lab waits on the pods itself. Without
   * a revision, to the one before the latest (helm's own default, both majors).
   */
  rollback(target: KubeTarget, major: HelmMajor, release: string, revision: number | undefined, timeout: string): string[] {
    return [
      ...this.scope(target),
      'rollback',
      release,
      ...(revision === undefined ? [] : [String(revision)]),
      '--timeout',
      timeout,
      ...this.upgradeWait(major),
    ];
  },
  uninstall(target: KubeTarget, major: HelmMajor, release: string, timeout: string): string[] {
    return [...this.scope(target), 'uninstall', release, '--timeout', timeout, ...this.deleteWait(major)];
  },
  status(target: KubeTarget, release: string): string[] {
    return [...this.scope(target), 'status', release, '--output', 'json'];
  },
  /** Helm 3 hides failed and pending releases unless `--all`; Helm 4 lists every status and has no `--all`. */
  list(target: KubeTarget, major: HelmMajor, release: string): string[] {
    // Release names are DNS labels: nothing in them needs escaping in the regular expression.
    return [...this.scope(target), 'list', '--filter', `^${release}$`, ...(major === 3 ? ['--all'] : []), '--output', 'json'];
  },
  getValues(target: KubeTarget, release: string): string[] {
    return [...this.scope(target), 'get', 'values', release, '--all', '--output', 'json'];
  },
};

/**
 * The helm adapter: its reads. Its changes are built by helmChanges (changes.ts) and carried out by
 * the lab's apply. The major version is detected once, on first use.
 */
export class Helm {
  private detected?: Promise<HelmVersion>;

  constructor(
    private readonly runner: Runner,
    readonly bin: string,
    readonly target: KubeTarget,
  ) {}

  private call(args: string[], timeoutMs = HELM_CALL_MS): ToolCall {
    return { bin: this.bin, args, timeoutMs };
  }

  version(): Promise<HelmVersion> {
    this.detected ??= this.runner.run(this.call(helmArgs.version())).then((result) => {
      if (result.exitCode !== 0) throw toolFailure(result, 'reading the helm version');
      return parseHelmVersion(result.stdout);
    });
    return this.detected;
  }

  /** The major version the change builders need (helmChanges in changes.ts): detected once. */
  async major(): Promise<HelmMajor> {
    return (await this.version()).major;
  }

  /**
   * Checks the values against the chart (its schema, its templates) without touching the cluster;
   * a rejection is a usage error that names the offending value.
   */
  async validate(request: Omit<UpgradeRequest, 'timeout'>): Promise<void> {
    await this.version();
    const result = await this.runner.run(this.call(helmArgs.template(this.target, request)));
    if (result.exitCode === 0) return;
    const failure = toolFailure(result, 'checking the values against the chart');
    if (failure instanceof UsageError || result.notFound || result.timedOut) throw failure;
    throw new UsageError(failure.message, 'check the values given with --set / -f', failure.detail);
  }

  /** The release, or undefined when Helm has none by that name in the namespace. */
  async status(release: string): Promise<HelmRelease | undefined> {
    // The version check first: it is what rejects Helm 2 and too old a Helm 3.
    await this.version();
    const result = await this.runner.run(this.call(helmArgs.status(this.target, release)));
    if (result.exitCode !== 0) {
      if (/release: not found/.test(result.stderr)) return undefined;
      throw toolFailure(result, `helm status ${release}`);
    }
    return parseRelease(result.stdout);
  }

  /** The release's row in `helm list`, or undefined when there is none. */
  async find(release: string): Promise<HelmListEntry | undefined> {
    const { major } = await this.version();
    const result = await this.runner.run(this.call(helmArgs.list(this.target, major, release)));
    if (result.exitCode !== 0) throw toolFailure(result, 'helm list');
    return parseJson<HelmListEntry[]>(result.stdout, 'the helm release list').find((entry) => entry.name === release);
  }

  async values(release: string): Promise<Record<string, unknown>> {
    await this.version();
    const result = await this.runner.run(this.call(helmArgs.getValues(this.target, release)));
    if (result.exitCode !== 0) throw toolFailure(result, `helm get values ${release}`);
    return parseJson<Record<string, unknown>>(result.stdout, 'the release values');
  }
}
