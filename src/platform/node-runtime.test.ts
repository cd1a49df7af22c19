import { describe, expect, it } from 'vitest';
import { nodeRuntimeWarning, SUPPORTED_NODE_MAJOR } from './node-runtime.js';

describe('nodeRuntimeWarning', () => {
  it('is silent on the supported line', () => {
    expect(nodeRuntimeWarning(`${SUPPORTED_NODE_MAJOR}.22.3`)).toBeUndefined();
  });

  it('names the end of life of Node.js 20, and the line to move to', () => {
    expect(nodeRuntimeWarning('20.20.2')).toBe(
      'Node.js 20.20.2 is past its end of life (2026-04-30); run Bulwark on Node.js 24',
    );
  });

  it('says an untested line is untested', () => {
    expect(nodeRuntimeWarning('26.12.1')).toMatch(
      /^Node\.js 26\.12\.1 is not a version Bulwark is tested on/,
    );
    expect(nodeRuntimeWarning('22.1.0')).toMatch(
      /not a version Bulwark is tested on; run it on Node\.js 24$/,
    );
  });
});
