/**
 * axe-core in a page of the end-to-end tests. Its source goes in through the DevTools protocol
 * (`page.evaluate`), which the page's Content-Security-Policy does not govern (an inline script
 * tag would be refused), then `axe.run` checks the whole document as it is drawn now.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { ImpactValue } from 'axe-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2.0, 2.1 and 2.2 A and AA, and Deque's best practices (landmarks, headings, regions). */
export const AUDIT_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** One rule broken on one screen, with the elements that break it. */
export interface Finding {
  screen: string;
  rule: string;
  impact: ImpactValue;
  help: string;
  nodes: Array<{ target: string; html: string; summary: string }>;
}

/** The violations axe finds in `page` now, labelled with `screen`. */
export async function audit(page: Page, screen: string): Promise<Finding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      rule: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary ?? '' })),
    }));
  }, AUDIT_TAGS);
  return violations.map((v) => ({ screen, ...v }));
}

/** What fails the audit: a serious or critical finding. */
export const blocking = (f: Finding): boolean => f.impact === 'serious' || f.impact === 'critical';

/** Findings as lines a person reads in a test failure: screen, rule, impact, then each element. */
export function listFindings(findings: Finding[]): string {
  return findings
    .map((f) => [`${f.screen}: ${f.rule} (${f.impact}) — ${f.help}`, ...f.nodes.map((n) => `    ${n.target}  ${n.html}\n      ${n.summary.replace(/\n/g, '\n      ')}`)].join('\n'))
    .join('\n');
}
