/**
 * The Node.js release lines Bulwark supports (ADR 052). 24 is the LTS line CI runs the whole suite
 * on; 20 reached its end of life on 2026-04-30 and still runs Bulwark (CI keeps the unit tests and
 * a first API round trip on it) because the machines Bulwark is often installed on ship it.
 * `package.json`'s `engines` says the same.
 */
export const SUPPORTED_NODE_MAJOR = 24;
const END_OF_LIFE: Readonly<Record<number, string>> = { 20: '2026-04-30' };

/**
 * A one-line warning for `serve` when the running Node.js is not the supported line, or
 * undefined. Never a refusal: an operator on an old line must still be able to start, back up
 * and move off it.
 */
export function nodeRuntimeWarning(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major === SUPPORTED_NODE_MAJOR) return undefined;
  const ended = END_OF_LIFE[major];
  if (ended !== undefined) {
    return `Node.js ${version} is past its end of life (${ended}); run Bulwark on Node.js ${SUPPORTED_NODE_MAJOR}`;
  }
  return `Node.js ${version} is not a version Bulwark is tested on; run it on Node.js ${SUPPORTED_NODE_MAJOR}`;
}
