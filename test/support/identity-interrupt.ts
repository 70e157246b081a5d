// One Ctrl-C case of demo-identity against the fake cluster (see identity-script.ts): run, send
// SIGINT in the phase, check the node is uncordoned after the cordon, exit 130 and the record.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { IdentityRecord } from '../../src/demos/identity-analysis.js';
import { runCommand } from './fake-cluster.js';
import { interruptedScript, type IdentityPhase } from './identity-script.js';

export async function interruptedIn(phase: IdentityPhase): Promise<void> {
  const server = createServer((_, response) => response.end(JSON.stringify({ pod: 'helm-python-0', version: 'v1', counter: 1 })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), `k8s-lab-identity-${phase}-`));
  try {
    let ctrlC = false;
    const interrupt = () => {
      ctrlC = true;
      // In pending, while the replacement is held Pending (--pending-for 5s); elsewhere as the change is made.
      if (phase === 'pending') setTimeout(() => process.emit('SIGINT', 'SIGINT'), 200);
      else process.emit('SIGINT', 'SIGINT');
    };
    const script = interruptedScript(phase, interrupt);
    const run = await runCommand(
      ['-n', 'lab', 'demo-identity', '--settle', '100ms', '--interval', '50ms', '--pending-for', '5s', '--url', url, '--record-dir', dir],
      script,
    );
    expect(ctrlC).toBe(true);
    expect(run.code, run.stderr).toBe(130);
    // The uncordon came after the cordon, and the pod was waited for once it had been deleted.
    const changes = run.calls
      .filter((c) => c.includes('cordon') || c.includes('uncordon') || c.includes('delete'))
      .map((c) => c.find((a) => ['cordon', 'uncordon', 'delete'].includes(a)));
    expect(changes).toEqual(phase === 'cordon' ? ['cordon', 'uncordon'] : ['cordon', 'delete', 'uncordon']);
    const back = phase === 'cordon' ? '' : '; helm-python-1 is Ready again';
    expect(run.stderr).toContain(`✖ identity interrupted (SIGINT) during ${phase}; worker2 uncordoned${back}`);
    const [file] = readdirSync(dir);
    const record = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as IdentityRecord;
    expect(record.verdict).toBe('interrupted');
    expect(record.node.cordonedAt).not.toBeNull();
    expect(record.node.uncordonedAt).toBeGreaterThanOrEqual(record.node.cordonedAt!);
    expect(record.phases.map((p) => p.name).filter((n) => n === 'undo')).toHaveLength(phase === 'cordon' ? 1 : 2);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
