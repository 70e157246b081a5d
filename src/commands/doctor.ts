import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { runPreflight, type CheckState } from '../preflight.js';
import { highlightData as highlight } from '../ui/logger.js';

const MARK: Record<CheckState, string> = { ok: highlight.success('✔'), warn: highlight.warn('⚠'), fail: highlight.error('✖'), skip: highlight.dim('–') };

export async function doctor(lab: Lab, { url }: { url?: string }): Promise<void> {
  const { checks, versions, features } = await runPreflight(lab, { url });
  if (lab.json) lab.log.data(JSON.stringify({ checks, versions, features }, null, 2));
  else {
    const width = Math.max(...checks.map((c) => c.name.length));
    lab.log.data(
      checks
        .map(
          (c) =>
            `${MARK[c.state]} ${c.name.padEnd(width)}  ${c.detail}${c.hint && c.state !== 'ok' ? highlight.dim(`\n  ${' '.repeat(width)}  → ${c.hint}`) : ''}`,
        )
        .join('\n'),
    );
  }
  const failures = checks.filter((c) => c.state === 'fail');
  if (failures.length)
    throw new LabError(`${failures.length} check${failures.length > 1 ? 's' : ''} failed: ${failures.map((c) => c.name).join(', ')}`, failures[0]?.hint);
}
