// exposures (browser): a GP practice's lead opens Exposures from the
// navigation (the demo's KEV catalogue and CVE slice are matched against its
// inventory), filters to known exploited ones, opens one, sees why it
// matched, is told that "not affected" needs a justification, and triages
// it; then opens the vulnerability's own page. axe-core checks every page
// (no serious or critical violation); screenshots go to
// tests/out/screens/exposures-*.png. SQLite only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail } from '../lib/server.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SCREENS = join('tests', 'out', 'screens');
const GP = 'E83046';

let inst;
let srv;
let browser;
let page;
const jsErrors = [];
let shots = 0;

before(async () => {
  mkdirSync(SCREENS, { recursive: true });
  inst = await createInstance('browser-exposures');
  srv = inst.server;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
  // axe is injected as a script tag, which the site's CSP forbids: bypassed for that only
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => jsErrors.push(e.message));
});
after(async () => {
  await browser?.close();
  await inst?.close();
});

async function check(name) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  shots++;
  await page.screenshot({ path: join(SCREENS, `exposures-${String(shots).padStart(2, '0')}-${name}.png`), fullPage: true });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name} (${page.url()}): serious or critical accessibility violations:\n${JSON.stringify(bad, null, 2)}`);
}

test('a GP practice lead opens Exposures and filters to known exploited ones', async () => {
  await page.goto(`${srv.base}/sign-in`);
  await page.fill('#email', demoEmail('org_lead', GP));
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.click('nav a:has-text("Exposures")');
  await page.waitForURL(new RegExp(`/orgs/${GP}/exposures$`));
  assert.match(await page.title(), /^Exposures - /);
  assert.match(await page.textContent('caption'), /current exposures? \(\d+ cannot tell\)/);
  await check('list');
  await page.selectOption('#kev', '1');
  await page.click('button:has-text("Filter")');
  await page.waitForURL(/kev=1/);
  const rows = await page.locator('tbody tr').count();
  assert.ok(rows > 0, 'the demo practice has known exploited exposures');
  assert.equal(await page.locator('tbody tr:has-text("Known exploited")').count(), rows);
  await check('kev-only');
});

test('the lead opens one and sees why it matched', async () => {
  await page.locator('tbody tr a[href^="/exposures/"]').first().click();
  await page.waitForURL(/\/exposures\/\d+$/);
  const content = await page.content();
  assert.match(content, /Why it matched/);
  assert.match(content, /Known exploited/);
  assert.match(content, /Nobody has triaged this exposure yet/);
  await check('detail');
});

test('"not affected" without a justification is refused; with one it is saved', async () => {
  await page.check('#state-not_affected');
  await page.click('button:has-text("Save decision")');
  const summary = await page.textContent('.nhsuk-error-summary');
  assert.match(summary, /choose a justification/);
  // the summary's link takes the user to the first justification
  assert.equal(await page.getAttribute('.nhsuk-error-summary a', 'href'), '#justification-component_not_present');
  assert.ok(await page.isChecked('#state-not_affected'), 'the choice made stays chosen');
  await check('triage-error');
  await page.check('#justification-inline_mitigations_already_exist');
  await page.fill('#note', 'The VPN concentrator is not exposed to the internet');
  await page.click('button:has-text("Save decision")');
  await page.waitForURL(/\/exposures\/\d+$/);
  const content = await page.content();
  assert.match(content, /Decision saved: Not affected/);
  assert.match(content, /Mitigations already in place stop it/);
  await check('triaged');
  const [n] = await inst.sql("SELECT count(*) FROM exposure_decisions d JOIN orgs o ON o.id = d.org_id"
    + ` WHERE o.code = '${GP}' AND d.state = 'not_affected' AND d.justification = 'inline_mitigations_already_exist'`);
  assert.equal(n, '1');
});

test('the vulnerability page tells what the feeds say', async () => {
  await page.click('a:has-text("Everything we know about")');
  await page.waitForURL(/\/vulnerabilities\/CVE-/);
  const content = await page.content();
  assert.match(content, /Records in the feeds/);
  assert.match(content, /In CISA(&#39;|')s KEV catalogue/);
  assert.match(content, /organisations? in .* (has|have) current exposures/);
  await check('vulnerability');
  assert.deepEqual(jsErrors, []);
});

test('servers shut down cleanly', async () => {
  await assertCleanShutdown(inst, assert);
});
