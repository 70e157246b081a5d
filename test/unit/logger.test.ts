import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/ui/logger.js';

function sink() {
  let text = '';
  return { stream: new Writable({ write: (chunk: Buffer, _encoding, done) => ((text += String(chunk)), done()) }), text: () => text };
}

describe('log.result', () => {
  const value = { pods: 2, ready: true };
  it('renders the result for people', () => {
    const out = sink();
    createLogger({ stdout: out.stream }).result(value, (v) => `${v.pods} pods`);
    expect(out.text()).toBe('2 pods\n');
  });
  it('prints it as indented JSON with --json, without rendering it', () => {
    const out = sink();
    createLogger({ stdout: out.stream, json: true }).result(value, () => {
      throw new Error('rendered');
    });
    expect(out.text()).toBe('{\n  "pods": 2,\n  "ready": true\n}\n');
  });
});
