import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startSpinner } from '../../src/ui/spinner.js';

/** A stream that is not a TTY, like stderr in CI or through a pipe. */
function notATerminal() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('startSpinner off a TTY', () => {
  it('prints nothing for a step that then fails: the error is the one line', async () => {
    const { stream, text } = notATerminal();
    const spinner = await startSpinner('helm upgrade --install helm-python', { stream });
    spinner.update('waiting for pods: 0/2 Ready');
    spinner.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toBe('');
  });

  it('prints only the final line of a step that succeeds', async () => {
    const { stream, text } = notATerminal();
    const spinner = await startSpinner('helm upgrade --install helm-python', { stream });
    spinner.update('waiting for pods: 1/2 Ready');
    spinner.succeed('helm-python deployed (revision 1), every pod Ready');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toBe('✔ helm-python deployed (revision 1), every pod Ready\n');
  });

  it('prints a failure as one ✖ line', async () => {
    const { stream, text } = notATerminal();
    (await startSpinner('step', { stream })).fail('step failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toBe('✖ step failed\n');
  });

  it('prints nothing at all when silent (--json)', async () => {
    const { stream, text } = notATerminal();
    (await startSpinner('step', { stream, silent: true })).succeed('done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toBe('');
  });
});
