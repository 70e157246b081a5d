import { describe, expect, it } from 'vitest';
import { handleError } from '../../src/cli.js';
import { LabError, UsageError } from '../../src/errors.js';

describe('handleError', () => {
  const capture = () => {
    let text = '';
    return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
  };
  it('prints one line with the hint and maps the error class to its exit code', () => {
    const out = capture();
    expect(handleError(new UsageError('bad name', 'use another'), { stderr: out.stream })).toBe(2);
    expect(out.text()).toBe('✖ bad name — use another\n');
    expect(handleError(new LabError('cluster gone'), { stderr: capture().stream })).toBe(1);
  });
  it('keeps the detail and the stack for --verbose only', () => {
    const quiet = capture();
    handleError(new LabError('failed', 'retry', 'helm said: boom'), { stderr: quiet.stream });
    expect(quiet.text()).not.toContain('boom');
    const verbose = capture();
    handleError(new LabError('failed', 'retry', 'helm said: boom'), { verbose: true, stderr: verbose.stream });
    expect(verbose.text()).toContain('helm said: boom');
    expect(verbose.text()).toContain('    at ');
  });
  it('turns an unexpected error into one line, exit 1', () => {
    const out = capture();
    expect(handleError(new TypeError('x is undefined'), { stderr: out.stream })).toBe(1);
    expect(out.text()).toBe('✖ unexpected error: x is undefined — run again with --verbose and report it\n');
  });
});
