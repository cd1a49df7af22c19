import { execFileSync } from 'node:child_process';
import type { TestContext } from 'vitest';

/**
 * Tests that need a real external service (PostgreSQL, …) skip with a reason on a developer
 * machine that lacks it, and fail in CI, where BULWARK_REQUIRE_SERVICES=1 is set by .ci/run.
 */
export function servicesRequired(): boolean {
  return process.env.BULWARK_REQUIRE_SERVICES === '1';
}

export function missingService(what: string, why: string): Error | undefined {
  const message = `${what} is not available: ${why}`;
  if (servicesRequired())
    return new Error(`${message} (BULWARK_REQUIRE_SERVICES=1 turns this skip into a failure)`);
  console.warn(`SKIPPING tests that need ${message}`);
  return undefined;
}

const binaryProblems = new Map<string, string | undefined>();

/**
 * For tests that run a real command-line tool (unzip, …): skips the test with the reason when
 * `command` cannot be run, or fails it when BULWARK_REQUIRE_SERVICES=1.
 */
export function requireBinary(ctx: TestContext, command: string, probeArgs: readonly string[]): void {
  if (!binaryProblems.has(command)) {
    let problem: string | undefined;
    try {
      execFileSync(command, probeArgs, { stdio: 'ignore' });
    } catch (err) {
      problem = `the ${command} binary cannot be run (${(err as Error).message})`;
    }
    binaryProblems.set(command, problem);
  }
  const problem = binaryProblems.get(command);
  if (problem === undefined) return;
  const failure = missingService(command, problem);
  if (failure) throw failure;
  ctx.skip(`${command} is not available: ${problem}`);
}
