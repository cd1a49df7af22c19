import { describe, expect, it } from 'vitest';
import { stackFramesOf } from './server.js';

describe('stackFramesOf', () => {
  it('keeps the call frames and drops the message, also one over several lines', () => {
    const err = new Error('invalid input syntax for type integer: "hunter2"\nDETAIL: "hunter2" again');
    const frames = stackFramesOf(err)!;
    expect(frames).not.toContain('hunter2');
    expect(frames).toMatch(/^\s+at /);
    expect(frames.split('\n').length).toBeGreaterThan(1);
  });

  it('is undefined for what has no stack', () => {
    expect(stackFramesOf(undefined)).toBeUndefined();
    expect(stackFramesOf({ stack: 42 })).toBeUndefined();
  });
});
