import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/commands/definitions.js';
import { durationLabel } from '../../src/defaults.js';
import { demoLimits, goDuration, withGrace } from '../../src/limits.js';

/** An option's default and how --help shows it. */
const named = (name: string) => commands().find((c) => c.name() === name) as Command;
const defaults = (command: Command) =>
  Object.fromEntries(command.options.filter((o) => o.defaultValue !== undefined).map((o) => [o.attributeName(), [o.defaultValue, o.defaultValueDescription]]));

describe('the option defaults, read from one table', () => {
  it.each<[string, Command, Record<string, unknown>]>([
    ['deploy', named('deploy'), { timeout: [300_000, '5m'], set: [[], 'none'], values: [[], 'none'] }],
    ['traffic', named('traffic'), { concurrency: [4, undefined], requestTimeout: [5000, '5s'] }],
    [
      'demo-update',
      named('demo-update'),
      {
        canaryPercent: [25, undefined],
        check: [10_000, '10s'],
        interval: [100, '100ms'],
        timeout: [300_000, '5m'],
        readyTimeout: [120_000, '2m'],
        settle: [1000, '1s'],
        recordDir: ['lab-report/runs', undefined],
      },
    ],
    ['teardown', named('teardown'), { timeout: [120_000, '2m'] }],
    [
      'demo-failover',
      named('demo-failover'),
      { interval: [100, '100ms'], timeout: [300_000, '5m'], settle: [2000, '2s'], recordDir: ['lab-report/lessons', undefined] },
    ],
    [
      'demo-drain',
      named('demo-drain'),
      { interval: [100, '100ms'], timeout: [300_000, '5m'], settle: [2000, '2s'], recordDir: ['lab-report/lessons', undefined] },
    ],
    [
      'demo-scale',
      named('demo-scale'),
      {
        to: [6, undefined],
        policy: ['both', undefined],
        pvcRetention: ['retain', undefined],
        interval: [100, '100ms'],
        timeout: [300_000, '5m'],
        settle: [2000, '2s'],
        recordDir: ['lab-report/lessons', undefined],
      },
    ],
    [
      'report',
      named('report'),
      { output: ['lab-report/README.md', undefined], recordDir: ['lab-report/runs', undefined], lessonDir: ['lab-report/lessons', undefined] },
    ],
    [
      'lab',
      named('lab'),
      {
        requests: [40, undefined],
        strategies: [['rolling', 'recreate', 'canary', 'partition'], 'rolling,recreate,canary,partition'],
        lessons: [['scale', 'failover', 'identity', 'drain', 'node-loss'], 'scale,failover,identity,drain,node-loss'],
        output: ['lab-report/README.md', undefined],
        recordDir: ['lab-report/runs', undefined],
        lessonDir: ['lab-report/lessons', undefined],
      },
    ],
  ])('%s', (_, command, expected) => expect(defaults(command)).toEqual(expected));

  it.each([
    [100, '100ms'],
    [1500, '1500ms'],
    [1000, '1s'],
    [10_000, '10s'],
    [90_000, '90s'],
    [120_000, '2m'],
    [300_000, '5m'],
  ])('durationLabel(%i) = %s', (ms, label) => expect(durationLabel(ms)).toBe(label));
});

describe('limits', () => {
  it('give a tool 30 s past its own --timeout before it is killed', () => {
    expect(withGrace(300_000)).toBe(330_000);
    expect(goDuration(120_000)).toBe('120s');
  });
  it("derive a demo's limits from its step timeout and probe interval", () => {
    expect(demoLimits.watchMs(300_000)).toBe(1_800_000);
    expect(demoLimits.proxyMs(300_000)).toBe(1_860_000);
    expect(demoLimits.probeRequestMs(100)).toBe(1000);
    expect(demoLimits.probeRequestMs(250)).toBe(2500);
  });
});
