// browser: the harness the Playwright suites share — a demo instance, Debian's
// Chromium, a page whose script errors are collected, and check(name): a
// full-page screenshot plus the axe-core run that fails on any serious or
// critical accessibility violation.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { createInstance } from './server.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SCREENS = join('tests', 'out', 'screens');
const RULES = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

// tag names the instance and prefixes the screenshots. check(name, p)
// audits page p (the first page when not given); newPage() opens another
// browser context (another user). Call close() after.
export async function openBrowser(tag) {
  mkdirSync(SCREENS, { recursive: true });
  const inst = await createInstance(`browser-${tag}`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
  const jsErrors = [];
  async function newPage() {
    // axe is injected as a script tag, which the site's CSP forbids: bypassed for that only
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    context.on('page', (p) => p.on('pageerror', (e) => jsErrors.push(`${p.url()}: ${e.message}`)));
    return context.newPage();
  }
  const page = await newPage();
  let shots = 0;
  async function check(name, p = page) {
    await p.addScriptTag({ path: AXE });
    const result = await p.evaluate(async (values) => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { runOnly: { type: 'tag', values } });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    }, RULES);
    shots++;
    await p.screenshot({ path: join(SCREENS, `${tag}-${String(shots).padStart(2, '0')}-${name}.png`), fullPage: true });
    const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const minor = result.filter((v) => !bad.includes(v));
    if (minor.length) console.log(`# ${name}: minor accessibility notes: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
    assert.deepEqual(bad, [], `${name} (${p.url()}): serious or critical accessibility violations:\n${JSON.stringify(bad, null, 2)}`);
  }
  async function close() {
    await browser.close();
    await inst.close();
  }
  return { inst, srv: inst.server, browser, page, newPage, jsErrors, check, checked: () => shots, close };
}
