import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  checkName,
  goDuration,
  httpUrl,
  maxUnavailable,
  parseDuration,
  parseImage,
  podWait,
  probeInterval,
  setExpression,
  settleDuration,
  wholeNumber,
} from '../../src/options.js';

describe('wholeNumber', () => {
  const replicas = wholeNumber(0, 100);
  it.each([
    ['0', 0],
    ['2', 2],
    [' 10 ', 10],
    ['100', 100],
  ])('accepts %j', (input, expected) => expect(replicas(input)).toBe(expected));
  it.each(['-1', 'abc', '1.5', '', '101', '2x', '0x10'])('rejects %j', (input) => {
    expect(() => replicas(input)).toThrow(InvalidArgumentError);
  });
});

describe('parseDuration', () => {
  it.each([
    ['300', 300_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['1h', 3_600_000],
    ['0.5', 500],
  ])('%s → %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms));
  it.each(['', 'abc', '5 m', '-5s', '0s', '0', '0.0001', '0ms', '5x', 'm5'])('rejects %j', (input) => {
    expect(() => parseDuration(input)).toThrow(InvalidArgumentError);
  });
  it('renders whole seconds for helm, rounding up', () => {
    expect(goDuration(300_000)).toBe('300s');
    expect(goDuration(1500)).toBe('2s');
  });
});

describe('probeInterval: no faster than one request every 50 ms (bench/probe-floor.mjs)', () => {
  it.each([
    ['50ms', 50],
    ['0.05', 50],
    ['100ms', 100],
    ['1s', 1000],
  ])('%s → %d ms', (input, ms) => expect(probeInterval(input)).toBe(ms));
  it.each(['0', '1ms', '20ms', '49ms', '0.049'])('rejects %j, saying the floor and why', (input) => {
    expect(() => probeInterval(input)).toThrow(/expected 50ms or more: one pod of the chart's app answers 20 requests a second without queueing/);
  });
});

describe('podWait and settleDuration', () => {
  it('a wait on pods takes 10 s or more', () => {
    expect(podWait('10s')).toBe(10_000);
    expect(podWait('5m')).toBe(300_000);
    expect(() => podWait('9.9s')).toThrow(/expected 10s or more/);
    expect(() => podWait('0')).toThrow(/expected 10s or more/);
  });
  it('--settle takes 0 (none) as well as any duration', () => {
    expect(settleDuration('0')).toBe(0);
    expect(settleDuration('0s')).toBe(0);
    expect(settleDuration('1500ms')).toBe(1500);
    expect(() => settleDuration('-1s')).toThrow(/expected a duration/);
  });
});

describe('setExpression', () => {
  it('keeps valid expressions as given, repeatable', () => {
    expect(setExpression('replicaCount=3', ['a=b'])).toEqual(['a=b', 'replicaCount=3']);
    expect(setExpression('a.b=1,c[0]=x')).toEqual(['a.b=1,c[0]=x']);
    expect(setExpression('service.nodePort=null')).toEqual(['service.nodePort=null']);
    expect(setExpression('a=x\\,y')).toEqual(['a=x\\,y']);
  });
  it.each(['replicaCount', '=3', 'a=1,b', 'a b=1', ''])('rejects %j', (input) => {
    expect(() => setExpression(input)).toThrow(/not key=value/);
  });
});

describe('parseImage', () => {
  it.each([
    ['localhost/k8s-lab/python:3-bookworm', { repository: 'localhost/k8s-lab/python', tag: '3-bookworm' }],
    ['python:3.12-slim', { repository: 'python', tag: '3.12-slim' }],
    ['registry.local:5000/python', { repository: 'registry.local:5000/python' }],
    ['registry.local:5000/lab/python:3.11', { repository: 'registry.local:5000/lab/python', tag: '3.11' }],
  ])('%s', (input, expected) => expect(parseImage(input)).toEqual(expected));
  it.each(['', 'Python:3', 'python:', 'py thon', 'python:bad tag'])('rejects %j', (input) => {
    expect(() => parseImage(input)).toThrow(InvalidArgumentError);
  });
});

describe('checkName', () => {
  it.each(['helm-python', 'a', 'k8s-lab-2'])('accepts %s', (name) => expect(checkName('release', name)).toBe(name));
  it.each(['Helm', 'under_score', '-lead', 'trail-', 'dot.ted', '', 'x'.repeat(54)])('rejects release %j', (name) => {
    expect(() => checkName('release', name)).toThrow(UsageError);
  });
  it('allows 63 characters for a namespace but not 64', () => {
    expect(checkName('namespace', 'n'.repeat(63))).toHaveLength(63);
    expect(() => checkName('namespace', 'n'.repeat(64))).toThrow(/at most 63/);
  });
});

describe('httpUrl', () => {
  it.each(['http://127.0.0.1:31987', 'https://lab.example.com', ' http://192.168.49.2:30080/ '])('accepts %j', (input) =>
    expect(httpUrl(input)).toBe(input.trim()),
  );
  it.each(['notaurl', '127.0.0.1:31987', 'ftp://x', 'http://', ''])('rejects %j', (input) => expect(() => httpUrl(input)).toThrow(InvalidArgumentError));
});

describe('maxUnavailable', () => {
  it.each([
    ['1', 1],
    ['3', 3],
    [' 2 ', 2],
    ['50%', '50%'],
    ['1%', '1%'],
    ['100%', '100%'],
    ['007%', '7%'],
  ])('%j → %j', (text, value) => expect(maxUnavailable(text)).toBe(value));
  it.each(['0', '-1', '0%', '101%', '1.5', 'half', '', '%', '50 %'])('rejects %j', (text) => {
    expect(() => maxUnavailable(text)).toThrow('expected a whole number of pods from 1, or a percentage from 1% to 100%.');
  });
});
