import { describe, expect, it } from 'vitest';
import { demoEnding } from '../../src/commands/demo-command.js';
import { InterruptedError } from '../../src/errors.js';

describe('demoEnding: a verdict to the error (and exit code) a demo command ends with', () => {
  const ending = (verdict: string, failed?: string) => demoEnding({ verdict, reason: 'the reason' }, '/r/x.json', 'canary', failed);

  it('passed: no error', () => {
    expect(ending('passed')).toBeUndefined();
  });

  it('interrupted: exit 130, the reason (which says "interrupted") after the name', () => {
    const error = ending('interrupted');
    expect(error).toBeInstanceOf(InterruptedError);
    expect([error?.message, error?.hint, error?.exitCode]).toEqual(['canary the reason', 'see /r/x.json', 130]);
  });

  it('aborted and failed: exit 1; failed as the command words it', () => {
    expect([ending('aborted')?.message, ending('aborted')?.exitCode]).toEqual(['canary aborted: the reason', 1]);
    expect([ending('failed')?.message, ending('failed')?.exitCode]).toEqual(['canary failed: the reason', 1]);
    expect(ending('failed', 'canary update failed')?.message).toBe('canary update failed: the reason');
    expect(ending('failed')).not.toBeInstanceOf(InterruptedError);
  });
});
