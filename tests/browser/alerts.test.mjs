// alerts: the whole journey of a cyber alert in a real browser (Debian's
// Chromium, headless, playwright-core). The national analyst (enrolling a
// second factor) writes an advisory — first with a mistake the error summary
// names — sends it for review, checks who it reaches and publishes it; the
// trust's lead then acknowledges it, says it applies, adds an update, closes
// the response and marks its inbox notices read; the analyst's roll-up shows
// it. axe-core checks every page (no serious or critical violation);
// screenshots go to tests/out/screens/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail, totp } from '../lib/server.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SCREENS = join('tests', 'out', 'screens');

let inst;
let srv;
let browser;
let analyst;
let lead;
let id = '';
const jsErrors = [];
let shots = 0;

async function newPage() {
  // axe is injected as a script tag, which the site's CSP forbids: bypassed for that only
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const p = await context.newPage();
  p.on('pageerror', (e) => jsErrors.push(e.message));
  return p;
}

before(async () => {
  mkdirSync(SCREENS, { recursive: true });
  inst = await createInstance('browser-alerts');
  srv = inst.server;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
  analyst = await newPage();
  lead = await newPage();
});
after(async () => {
  await browser?.close();
  await inst?.close();
});

async function check(page, name) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  shots++;
  await page.screenshot({ path: join(SCREENS, `alerts-${String(shots).padStart(2, '0')}-${name}.png`), fullPage: true });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name} (${page.url()}): serious or critical accessibility violations:\n${JSON.stringify(bad, null, 2)}`);
}

test('the analyst signs in with a second factor and opens the advisories', async () => {
  await analyst.goto(`${srv.base}/sign-in`);
  await analyst.fill('#email', demoEmail('analyst', 'NATIONAL'));
  await analyst.fill('#password', PASSWORD);
  await analyst.click('button[type=submit]');
  const secret = (await analyst.textContent('code.bw-secret')).replace(/\s+/g, '');
  await analyst.fill('#code', totp(secret, inst.now()));
  await analyst.click('button[type=submit]');
  await analyst.goto(`${srv.base}/alerts`);
  assert.match(await analyst.textContent('h1'), /Advisories/);
  assert.match(await analyst.textContent('main'), /CC-0004/, 'the draft is listed for its authors');
  await check(analyst, 'advisories');
});

test('writing an advisory: a mistake is named in the error summary, then the draft is saved', async () => {
  await analyst.click('text=Write an advisory');
  await check(analyst, 'editor');
  await analyst.fill('#summary', 'Attackers chain two flaws to run commands on the gateway.');
  await analyst.fill('#remediation', 'Apply the mitigation, then the patch.');
  await analyst.fill('#cves', 'CVE-2024-21887 CVE-2023-46805x');
  await analyst.click('button:has-text("Save")');
  const summary = await analyst.textContent('.nhsuk-error-summary');
  assert.match(summary, /Enter Title/i);
  assert.match(summary, /CVE-2023-46805x does not/);
  await check(analyst, 'editor-errors');
  await analyst.fill('#title', 'Critical vulnerability in Ivanti Connect Secure');
  await analyst.fill('#cves', 'CVE-2024-21887, CVE-2023-46805');
  await analyst.selectOption('#target_kind', 'list');
  await analyst.fill('#target_codes', 'RAL');
  await analyst.click('button:has-text("Save")');
  assert.match(await analyst.textContent('.nhsuk-caption-l'), /CC-\d{4}/);
  id = (await analyst.textContent('.nhsuk-caption-l')).trim();
  await check(analyst, 'draft');
});

test('sent for review, the analyst sees who it reaches and publishes it', async () => {
  await analyst.click('button:has-text("Send for review")');
  await analyst.click('text=Review and publish');
  assert.match(await analyst.textContent('#target-count'), /^1 organisations/);
  assert.match(await analyst.textContent('main'), /Royal Free London/);
  await check(analyst, 'targets');
  await analyst.click('button:has-text("Publish advisory")');
  assert.match(await analyst.textContent('.nhsuk-notification-banner, main'), /Published to 1 organisations/);
});

test("the trust's lead acknowledges, answers, updates and closes the response", async () => {
  await lead.goto(`${srv.base}/sign-in`);
  await lead.fill('#email', demoEmail('org_lead', 'RAL'));
  await lead.fill('#password', PASSWORD);
  await lead.click('button[type=submit]');
  await lead.click('a:has-text("Alerts")');
  assert.match(await lead.textContent('h1'), /Cyber alerts/);
  await check(lead, 'inbox');
  await lead.click(`a:has-text("${id}")`);
  assert.match(await lead.textContent('h1'), /Ivanti Connect Secure/);
  await check(lead, 'alert-issued');
  await lead.click('button:has-text("Acknowledge alert")');
  assert.match(await lead.textContent('main'), /Alert acknowledged|In progress/);
  await check(lead, 'alert-acknowledged');
  await lead.selectOption('#step', 'applicable');
  await lead.fill('#reason', 'Two gateways at the main site');
  await lead.click('button:has-text("Save answer")');
  await lead.fill('#update_note', 'The mitigation is applied to both gateways');
  await lead.click('button:has-text("Save update")');
  assert.match(await lead.textContent('main'), /The mitigation is applied to both gateways/);
  await check(lead, 'alert-updated');
  await lead.selectOption('#closure', 'remediated');
  await lead.fill('#close_note', 'Patched to 22.5R2');
  await lead.click('button:has-text("Close response")');
  const main = await lead.textContent('main');
  assert.match(main, /Response closed/);
  assert.match(main, /Remediated/);
  assert.doesNotMatch(main, /Save update/, 'nothing more is asked');
  await check(lead, 'alert-closed');
});

test("the lead reads the new alert's notice on the organisation's alerts page, then marks every notice read", async () => {
  await lead.goto(`${srv.base}/orgs/RAL/alerts`);
  const notices = lead.locator('table:has(caption:has-text("notices")) tbody tr');
  const row = notices.filter({ hasText: id });
  assert.match(await row.textContent(), /New alert/);
  assert.match(await row.textContent(), /Unread/);
  await row.locator('button:has-text("Mark as read")').click();
  assert.match(await lead.textContent('.nhsuk-notification-banner, main'), /Notice marked as read/);
  assert.match(await notices.filter({ hasText: id }).textContent(), /Read/);
  await check(lead, 'notices');
  await lead.click('button:has-text("Mark all notices as read")');
  assert.match(await lead.textContent('main'), /0 unread notices/);
  assert.equal(await lead.locator('button:has-text("Mark as read")').count(), 0);
});

test("the analyst's roll-up shows the closed response in the chart and the drill-down", async () => {
  await analyst.goto(`${srv.base}/orgs/NATIONAL/advisories/${id}/responses`);
  assert.ok(await analyst.isVisible('svg.bw-chart'));
  assert.match(await analyst.textContent('#chart-desc'), /Of 1 organisations, 1 had acknowledged and 1 had closed/);
  assert.match(await analyst.textContent('main'), /Royal Free London/);
  await check(analyst, 'rollup');
  await analyst.goto(`${srv.base}/orgs/NATIONAL/alerts/league`);
  await check(analyst, 'league');
  assert.deepEqual(jsErrors, []);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
