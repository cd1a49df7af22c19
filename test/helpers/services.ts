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
