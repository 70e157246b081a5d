import { existsSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { appVersionViolation } from './chart-schema.js';
import { FLOORS } from './defaults.js';

// Option parsers: they normalise user input once, before any command sees it. A parser that
// rejects throws InvalidArgumentError, which commander reports as a one-line usage error (exit 2).

export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    const number = Number(value);
    if (number < min || number > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return number;
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `5m`, `1m30s`, `250ms` or plain seconds (`300`) → milliseconds, zero included. */
function durationMs(value: string): number {
  const trimmed = value.trim();
  // Plain seconds (`300`) read as `300s`, so `0` is zero as `0s` is.
  const text = /^\d+(\.\d+)?$/.test(trimmed) ? `${trimmed}s` : trimmed;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new InvalidArgumentError('expected a duration such as 90s, 5m or 1m30s.');
  }
  return Math.round(parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (DURATION_UNITS[unit ?? 's'] ?? 1000), 0));
}

/** `90s`, `5m`, `1m30s`, `250ms` or plain seconds (`300`) → milliseconds, more than zero. */
export function parseDuration(value: string): number {
  const ms = durationMs(value);
  if (ms <= 0) throw new InvalidArgumentError('expected a duration greater than zero.');
  return ms;
}

/** A duration no shorter than `floorMs`; shorter, `expected` (what it must be, and why) is the error. */
function atLeast(value: string, floorMs: number, expected: string): number {
  const ms = durationMs(value);
  if (ms < floorMs) throw new InvalidArgumentError(expected);
  return ms;
}

/**
 * `--interval`: the time between two probe requests, no shorter than FLOORS.probeIntervalMs:
 * faster, one pod of the chart's app queues the requests and the probe measures itself.
 */
export function probeInterval(value: string): number {
  const floor = FLOORS.probeIntervalMs;
  return atLeast(
    value,
    floor,
    `expected ${floor}ms or more: one pod of the chart's app answers ${1000 / floor} requests a second without queueing them, and faster the probe measures itself.`,
  );
}

/** `--settle`: a duration, or `0` for none (no traffic measured before the first change and after the last). */
export function settleDuration(value: string): number {
  return durationMs(value);
}

/** `--uncordon-after`: 1 s or more (the first eviction needs that long to be answered). */
export function uncordonAfter(value: string): number {
  return atLeast(value, 1000, 'expected 1s or more: the node is uncordoned that long after the cordon, and the evictions need time to be answered.');
}

/** `--timeout`, `--ready-timeout`: a wait on pods, no shorter than FLOORS.podWaitMs (one pod's replacement). */
export function podWait(value: string): number {
  const floor = FLOORS.podWaitMs;
  return atLeast(
    value,
    floor,
    `expected ${floor / 1000}s or more: replacing one pod of the chart takes 7-8 s (its 5 s preStop drain, then start and readiness), and a shorter wait times out after the release was changed.`,
  );
}

export { goDuration } from './limits.js';

/** `--set key=value[,key=value]`: every part needs a key and an `=`; the string goes to helm unchanged. */
export function setExpression(value: string, previous: string[] = []): string[] {
  const parts = value.split(/(?<!\\),/);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z0-9_.\-[\]\\]+$/.test(part.slice(0, eq))) {
      throw new InvalidArgumentError(`"${part}" is not key=value (e.g. --set replicaCount=3).`);
    }
  }
  return [...previous, value];
}

export function existingFile(value: string, previous: string[] = []): string[] {
  if (!existsSync(value)) throw new InvalidArgumentError(`file "${value}" does not exist.`);
  return [...previous, value];
}

/** `--url`: an http(s) URL with a host, e.g. http://127.0.0.1:31987 (what `minikube service --url` prints). */
export function httpUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value.trim());
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) throw new InvalidArgumentError('expected an http(s) URL such as http://127.0.0.1:31987.');
  return value.trim();
}

/** `--to v2`: a version the chart takes as app.version (chart/values.schema.json). */
export function appVersion(value: string): string {
  const why = appVersionViolation(value);
  if (why) throw new InvalidArgumentError(`${why} (the chart's app.version, also a pod label: letters, digits, '-', '_' or '.', e.g. v2).`);
  return value;
}

/** `repo/name:tag` (or `repo/name`, tag then unchanged) → helm values. Digests are left to --set. */
export function parseImage(value: string): { repository: string; tag?: string } {
  const text = value.trim();
  const colon = text.lastIndexOf(':');
  const hasTag = colon > text.lastIndexOf('/');
  const repository = hasTag ? text.slice(0, colon) : text;
  const tag = hasTag ? text.slice(colon + 1) : undefined;
  if (!/^[a-z0-9][a-z0-9._\-/:]*$/.test(repository) || (tag !== undefined && !/^\w[\w.-]{0,127}$/.test(tag))) {
    throw new InvalidArgumentError('expected an image such as localhost/k8s-lab/python:3-bookworm.');
  }
  return tag === undefined ? { repository } : { repository, tag };
}

// Kept with the other option checks for their callers; it lives in names.ts so lab-context.ts needs no commander.
export { checkName } from './names.js';

/**
 * `--max-unavailable`: a whole number from 1, or a percentage from 1% to 100% (what the API server
 * accepts for a StatefulSet's rollingUpdate.maxUnavailable).
 */
export function maxUnavailable(value: string): number | string {
  const text = value.trim();
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 10_000) return Number(text);
  const percent = /^(\d+)%$/.exec(text);
  if (percent && Number(percent[1]) >= 1 && Number(percent[1]) <= 100) return `${Number(percent[1])}%`;
  throw new InvalidArgumentError('expected a whole number of pods from 1, or a percentage from 1% to 100%.');
}
