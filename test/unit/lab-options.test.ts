import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseStrategies } from '../../src/commands/definitions.js';
import { deployValues } from '../../src/commands/deploy.js';

describe('parseStrategies', () => {
  it('keeps the order given and drops repeats', () => {
    expect(parseStrategies('canary, rolling,canary')).toEqual(['canary', 'rolling']);
  });
  it.each(['', 'blue-green', 'rolling,nope', ','])('rejects %j', (value) => {
    expect(() => parseStrategies(value)).toThrow(InvalidArgumentError);
  });
});

describe('deployValues', () => {
  it("turns the dedicated flags into values after the user's own --set, versions and tags as strings", () => {
    expect(
      deployValues({
        set: ['service.nodePort=null'],
        values: [],
        timeout: 1,
        replicas: 3,
        image: { repository: 'localhost/k8s-lab/python', tag: '3.12' },
        appVersion: '1.10',
      }),
    ).toEqual({
      sets: ['service.nodePort=null', 'replicaCount=3'],
      setStrings: ['image.repository=localhost/k8s-lab/python', 'image.tag=3.12', 'app.version=1.10'],
    });
  });
  it('adds nothing when no flag is given', () => {
    expect(deployValues({ set: [], values: [], timeout: 1 })).toEqual({ sets: [], setStrings: [] });
  });
});
