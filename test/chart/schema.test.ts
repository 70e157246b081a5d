// values.schema.json: bad values are refused by helm itself, naming the field, on both majors.
import { describe, expect, it } from 'vitest';
import { HELM_BINARIES } from '../support/tools.js';
import { helmTemplate, runHelm, RELEASE } from './helm.js';
import { CHART_DIR } from '../support/tools.js';

// [what, helm args, the field the error must name (dotted)]
const REJECTED: [string, string[], string][] = [
  ['a negative replicaCount', ['--set', 'replicaCount=-1'], 'replicaCount'],
  ['a string replicaCount', ['--set-string', 'replicaCount=abc'], 'replicaCount'],
  ['a nodePort outside 30000-32767', ['--set', 'service.nodePort=80'], 'service.nodePort'],
  ['a nodePort above 32767', ['--set', 'service.nodePort=40000'], 'service.nodePort'],
  ['an unknown update strategy', ['--set', 'updateStrategy.type=Bogus'], 'updateStrategy.type'],
  ['a negative partition', ['--set', 'updateStrategy.partition=-1'], 'updateStrategy.partition'],
  ['an unknown pull policy', ['--set', 'image.pullPolicy=Sometimes'], 'image.pullPolicy'],
  ['a size that is not a quantity', ['--set', 'persistence.size=lots'], 'persistence.size'],
  ['an empty app version', ['--set', 'app.version='], 'app.version'],
  ['an app version that is no label value', ['--set', 'app.version=v2 beta'], 'app.version'],
  ['a maxUnavailable of 0', ['--set', 'updateStrategy.maxUnavailable=0'], 'updateStrategy.maxUnavailable'],
  ['a negative maxUnavailable', ['--set', 'updateStrategy.maxUnavailable=-1'], 'updateStrategy.maxUnavailable'],
  ['a maxUnavailable of 0%', ['--set', 'updateStrategy.maxUnavailable=0%'], 'updateStrategy.maxUnavailable'],
  ['a maxUnavailable above 100%', ['--set', 'updateStrategy.maxUnavailable=150%'], 'updateStrategy.maxUnavailable'],
  ['a maxUnavailable that is neither a number nor a percentage', ['--set', 'updateStrategy.maxUnavailable=half'], 'updateStrategy.maxUnavailable'],
  ['a maxUnavailable that is a fraction', ['--set', 'updateStrategy.maxUnavailable=1.5'], 'updateStrategy.maxUnavailable'],
  ['an update strategy in the wrong case', ['--set', 'updateStrategy.type=recreate'], 'updateStrategy.type'],
  ['an unknown PVC retention policy', ['--set', 'persistentVolumeClaimRetentionPolicy.whenScaled=Keep'], 'persistentVolumeClaimRetentionPolicy.whenScaled'],
  ['a shareProcessNamespace that is no boolean', ['--set-string', 'shareProcessNamespace=yes'], 'shareProcessNamespace'],
  ['a typo in a service key', ['--set', 'service.nodeport=31000'], 'service'],
  ['a PDB maxUnavailable of 0 (every drain would block)', ['--set', 'podDisruptionBudget.maxUnavailable=0'], 'podDisruptionBudget.maxUnavailable'],
  ['a negative PDB maxUnavailable', ['--set', 'podDisruptionBudget.maxUnavailable=-1'], 'podDisruptionBudget.maxUnavailable'],
  ['a PDB maxUnavailable of 0%', ['--set', 'podDisruptionBudget.maxUnavailable=0%'], 'podDisruptionBudget.maxUnavailable'],
  ['a PDB maxUnavailable above 100%', ['--set', 'podDisruptionBudget.maxUnavailable=101%'], 'podDisruptionBudget.maxUnavailable'],
  ['a PDB maxUnavailable that is a word', ['--set', 'podDisruptionBudget.maxUnavailable=one'], 'podDisruptionBudget.maxUnavailable'],
  ['a PDB maxUnavailable given as a string number', ['--set-string', 'podDisruptionBudget.maxUnavailable=1'], 'podDisruptionBudget.maxUnavailable'],
  ['a PDB maxUnavailable that is a fraction', ['--set', 'podDisruptionBudget.maxUnavailable=1.5'], 'podDisruptionBudget.maxUnavailable'],
  ['a PDB left on with no maxUnavailable', ['--set', 'podDisruptionBudget.maxUnavailable=null'], 'podDisruptionBudget'],
  ['a PDB enabled that is no boolean', ['--set-string', 'podDisruptionBudget.enabled=yes'], 'podDisruptionBudget.enabled'],
  [
    'an unknown unhealthyPodEvictionPolicy',
    ['--set', 'podDisruptionBudget.unhealthyPodEvictionPolicy=Never'],
    'podDisruptionBudget.unhealthyPodEvictionPolicy',
  ],
  ['minAvailable, which the chart does not take', ['--set', 'podDisruptionBudget.minAvailable=1'], 'podDisruptionBudget'],
];

function namesField(stderr: string, field: string): boolean {
  // Helm 3 (gojsonschema) writes "service.nodePort: ...", Helm 4 (jsonschema/v6) "at '/service/nodePort': ...".
  return stderr.includes(`${field}:`) || stderr.includes(`'/${field.replaceAll('.', '/')}'`);
}

describe.each(HELM_BINARIES)('values.schema.json with helm $major', (helm) => {
  it.each(REJECTED)('rejects %s', async (_what, args, field) => {
    const result = await runHelm(helm, ['template', RELEASE, CHART_DIR, ...args]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('schema');
    expect(namesField(result.stderr, field), result.stderr).toBe(true);
  });

  it('accepts the defaults, the local cluster image, a null or 0 nodePort, OnDelete, Recreate, a maxUnavailable of 1, 100 or 1%-100%, and a PDB off, at 2 or 100%', async () => {
    for (const args of [
      [],
      ['--set', 'image.repository=localhost/k8s-lab/python', '--set', 'image.tag=3-bookworm'],
      ['--set', 'service.nodePort=null'],
      ['--set', 'service.nodePort=0'],
      ['--set', 'updateStrategy.type=OnDelete', '--set', 'podManagementPolicy=OrderedReady'],
      ['--set', 'replicaCount=0'],
      ['--set', 'updateStrategy.type=Recreate'],
      ['--set', 'updateStrategy.maxUnavailable=1'],
      ['--set', 'updateStrategy.maxUnavailable=100'],
      ['--set', 'updateStrategy.maxUnavailable=1%'],
      ['--set', 'updateStrategy.maxUnavailable=100%'],
      ['--set', 'updateStrategy.maxUnavailable=null'],
      ['--set-string', 'updateStrategy.maxUnavailable='],
      ['--set', 'podDisruptionBudget.enabled=false'],
      ['--set', 'podDisruptionBudget.enabled=false', '--set', 'podDisruptionBudget.maxUnavailable=null'],
      ['--set', 'podDisruptionBudget.maxUnavailable=2'],
      ['--set', 'podDisruptionBudget.maxUnavailable=100%'],
      ['--set', 'podDisruptionBudget.unhealthyPodEvictionPolicy=IfHealthyBudget'],
      ['--set-string', 'podDisruptionBudget.unhealthyPodEvictionPolicy='],
    ]) {
      await expect(helmTemplate(helm, args)).resolves.toBeDefined();
    }
  });
});
