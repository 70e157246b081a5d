import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCounters, statefulSetPods } from '../counters.js';
import { inNamespace } from '../adapters/kubectl.js';
import type { RunRecord } from '../demos/record.js';
import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { readOverview, renderOverview } from '../overview.js';
import { makeDirs } from '../output-path.js';
import type { LessonRecord } from './lessons.js';
import { renderReport } from './render.js';

/**
 * The records in `dir` that `isRecord` accepts, in file-name (time) order; a file that is not one is
 * skipped with a warning naming `what` it is not.
 */
function readRecords<T>(dir: string, warn: (message: string) => void, isRecord: (value: Partial<T> & { schema?: number }) => boolean, what: string): T[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((name) => {
      try {
        const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Partial<T> & { schema?: number };
        if (record.schema !== 1 || !isRecord(record)) throw new Error(`not a k8s-lab ${what}`);
        return [record as T];
      } catch (error) {
        warn(`skipping ${join(dir, name)}: ${(error as Error).message}`);
        return [];
      }
    });
}

/** Every run record (demo-update) in `dir`. */
export function readRunRecords(dir: string, warn: (message: string) => void): RunRecord[] {
  return readRecords<RunRecord>(dir, warn, (r) => Boolean(r.strategy && r.probe), 'run record');
}

/** Every lesson record (demo-scale, demo-failover, demo-drain) in `dir`. */
export function readLessonRecords(dir: string, warn: (message: string) => void): LessonRecord[] {
  return readRecords<LessonRecord>(
    dir,
    warn,
    (r) => r.lesson === 'scale' || r.lesson === 'failover' || r.lesson === 'identity' || r.lesson === 'drain' || r.lesson === 'node-loss',
    'lesson record',
  );
}

/** Reads the live cluster and the run records, renders the report and writes it with its pictures. */
export async function writeReport(
  lab: Lab,
  { output, recordDir, lessonDir, k8sLabVersion }: { output: string; recordDir: string; lessonDir?: string; k8sLabVersion: string },
): Promise<{ path: string; files: string[] }> {
  const statefulSet = await lab.kubectl.statefulSet(lab.release);
  if (!statefulSet)
    throw new LabError(
      `release ${lab.release} is not deployed${inNamespace(lab.target)}: the report reads the live cluster`,
      'deploy it first: `k8s-lab deploy`',
    );
  const [helm, kubectl, server, namespace, cluster, overview, pods] = await Promise.all([
    lab.helm.version(),
    lab.kubectl.clientVersion(),
    lab.kubectl.version(),
    lab.kubectl.namespace(),
    lab.kubectl.clusterIdentity(),
    readOverview(lab.kubectl, lab.releaseSelector),
    statefulSetPods(lab.kubectl, lab.release),
  ]);
  const counters = await readCounters(lab.kubectl, pods);
  const rendered = renderReport({
    generatedAt: new Date().toISOString(),
    release: lab.release,
    namespace,
    cluster,
    environment: { kubernetes: server.server ?? 'unknown', helm: helm.version, kubectl, k8sLab: k8sLabVersion },
    overviewText: renderOverview(overview),
    counters,
    podManagementPolicy: statefulSet.spec.podManagementPolicy ?? 'OrderedReady',
    replicas: statefulSet.spec.replicas ?? 1,
    runs: readRunRecords(recordDir, (message) => lab.log.warn(message)),
    lessons: lessonDir ? readLessonRecords(lessonDir, (message) => lab.log.warn(message)) : [],
  });
  const base = dirname(output);
  makeDirs(base);
  writeFileSync(output, rendered.markdown);
  for (const file of rendered.files) {
    makeDirs(dirname(join(base, file.path)));
    writeFileSync(join(base, file.path), file.content);
  }
  return { path: output, files: rendered.files.map((f) => join(base, f.path)) };
}
