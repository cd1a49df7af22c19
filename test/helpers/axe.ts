import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from './server.js';

const AXE_SOURCE = path.join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js');
let axeSource: string | undefined;

interface AxeViolation {
  readonly id: string;
  readonly impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[]; readonly failureSummary?: string }[];
}

/**
 * Runs axe-core on the page as it is now (`screen` names it in the failure) and fails on any
 * violation of serious or critical impact; minor and moderate ones are returned for a look.
 * axe is evaluated through the DevTools protocol rather than added as a <script> element: the
 * console's CSP (script-src 'self') blocks inline script elements, addScriptTag({ content })
 * included, and the tests must not bypass the CSP they check the console against.
 */
export async function expectAccessible(page: Page, screen: string): Promise<readonly AxeViolation[]> {
  axeSource ??= readFileSync(AXE_SOURCE, 'utf8');
  const loaded = await page.evaluate<boolean>('typeof window.axe !== "undefined"');
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  );
  const severe = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = severe
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help}\n` +
        v.nodes.map((n) => `  ${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join('\n'),
    )
    .join('\n');
  expect(severe, `accessibility violations on the ${screen} screen:\n${report}`).toEqual([]);
  return violations;
}
