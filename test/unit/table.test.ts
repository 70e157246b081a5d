import { describe, expect, it } from 'vitest';
import { humanDuration, renderTable } from '../../src/ui/table.js';

describe('humanDuration (kubectl AGE)', () => {
  it.each([
    [-5_000, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [595_000, '9m55s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3_600_000 + 5 * 60_000, '3h5m'],
    [8 * 3_600_000, '8h'],
    [5 * 86_400_000, '5d'],
    [2 * 86_400_000 + 3 * 3_600_000, '2d3h'],
    [400 * 86_400_000, '400d'],
    [(3 * 365 + 10) * 86_400_000, '3y10d'],
  ])('%d ms → %s', (ms, text) => expect(humanDuration(ms)).toBe(text));
});

describe('renderTable', () => {
  it('pads columns with three spaces like kubectl and trims line ends', () => {
    expect(
      renderTable(
        ['NAME', 'READY', 'AGE'],
        [
          ['statefulset.apps/helm-python', '2/2', '9m55s'],
          ['x', '0/1', '1s'],
        ],
      ),
    ).toBe(
      ['NAME                           READY   AGE', 'statefulset.apps/helm-python   2/2     9m55s', 'x                              0/1     1s'].join('\n'),
    );
  });
});
