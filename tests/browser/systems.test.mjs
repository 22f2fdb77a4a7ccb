// systems: an organisation lead records a critical system in a real browser
// (Debian's Chromium, headless, driven by playwright-core) — from the
// registers hub to the list, the form (with a mistake first), a backup, a
// restore test, a backup and a restore test corrected in place (a mistake
// first), and a dependency, then the dependency graph — and an ICS
// lead opens the gaps roll-up and drills down. No JavaScript is needed by
// any of it. On every page axe-core must report no serious or critical
// accessibility violation; each page is saved as a screenshot in
// tests/out/screens/. SQLite only.
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

let inst;
let srv;
let browser;
let page;
const pageErrors = [];
let shots = 0;

before(async () => {
  mkdirSync(SCREENS, { recursive: true });
  inst = await createInstance('browser-systems');
  srv = inst.server;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
  page = await newPage();
});
after(async () => {
  await browser?.close();
  await inst?.close();
});

// axe-core is injected as a script tag, which the site's CSP (rightly)
// forbids; the test contexts bypass CSP for that reason only.
async function newPage() {
  const c = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const p = await c.newPage();
  p.on('pageerror', (e) => pageErrors.push(`${p.url()}: ${e.message}`));
  return p;
}

async function check(p, name) {
  await p.addScriptTag({ path: AXE });
  const result = await p.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
  await p.screenshot({ path: join(SCREENS, `systems-${String(++shots).padStart(2, '0')}-${name}.png`), fullPage: true });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.filter((v) => !bad.includes(v));
  if (minor.length) console.log(`# ${name}: minor accessibility notes: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  assert.deepEqual(bad, [], `${name} (${p.url()}): serious or critical accessibility violations:\n${JSON.stringify(bad, null, 2)}`);
}

async function signIn(p, email) {
  await p.goto(`${srv.base}/sign-in`);
  await p.getByLabel('Email address').fill(email);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForURL(`${srv.base}/`);
}

function dateAgo(days) {
  const d = new Date((inst.now() - days * 86400) * 1000);
  return `${d.getUTCDate()} ${d.getUTCMonth() + 1} ${d.getUTCFullYear()}`;
}

test('the organisation lead reaches the registers hub from the home page', async () => {
  await signIn(page, demoEmail('org_lead', 'RAL'));
  await page.getByRole('link', { name: 'Registers' }).first().click();
  await page.waitForURL('**/orgs/RAL/registers');
  assert.equal(await page.locator('h1').innerText(), 'Registers');
  await check(page, 'hub');
  await page.getByRole('link', { name: 'Critical systems' }).click();
  await page.waitForURL('**/orgs/RAL/systems');
  assert.ok(await page.getByRole('link', { name: 'Electronic patient record' }).isVisible());
  await check(page, 'list');
});

test('adding a system: a mistake is shown in the error summary, then it is saved', async () => {
  await page.getByRole('link', { name: 'Add a system' }).click();
  await page.waitForURL('**/orgs/RAL/systems/new');
  await check(page, 'new-system');
  await page.getByLabel('Name').fill('Maternity system (BadgerNet)');
  await page.getByLabel('Recovery time objective (hours)').fill('four');
  await page.getByRole('button', { name: 'Save system' }).click();
  await page.waitForLoadState();
  const summary = page.locator('.nhsuk-error-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /Enter what it does for patients/);
  assert.match(await summary.innerText(), /Recovery time objective \(hours\) must be a whole number/);
  await check(page, 'new-system-errors');
  await page.getByLabel('What it does for patients').fill('Maternity records from booking to birth');
  await page.getByLabel('Criticality').selectOption('1');
  await page.getByLabel('Recovery time objective (hours)').fill('4');
  await page.getByLabel('Downtime (paper) procedure').fill('Paper maternity notes in the delivery suite office');
  await page.getByRole('button', { name: 'Save system' }).click();
  await page.waitForURL(/\/systems\/\d+$/);
  assert.equal(await page.locator('h1').innerText(), 'Maternity system (BadgerNet)');
  assert.match(await page.locator('.nhsuk-warning-callout').innerText(), /No off-line backup/);
  await check(page, 'system');
});

test('a backup with an off-line copy and a recent restore test close the gaps', async () => {
  await page.getByRole('link', { name: 'Add a backup' }).click();
  await page.getByLabel('How it is backed up').fill('Weekly tape copy');
  await page.getByLabel('How often').selectOption('weekly');
  await page.getByLabel('A copy is kept off-line').check();
  await page.getByLabel('Where it is kept').fill('Tape safe, estates building');
  await check(page, 'new-backup');
  await page.getByRole('button', { name: 'Add backup' }).click();
  await page.waitForURL(/\/systems\/\d+#backups$/);
  await page.getByRole('link', { name: 'Record a restore test' }).click();
  await page.getByLabel('Date of the test').fill(dateAgo(3));
  await page.getByLabel('Time taken (minutes)').fill('95');
  await page.getByLabel('Which backup was restored').selectOption({ index: 1 });
  await check(page, 'new-restore-test');
  await page.getByRole('button', { name: 'Save restore test' }).click();
  await page.waitForURL(/\/systems\/\d+#restore-tests$/);
  assert.match(await page.locator('.nhsuk-inset-text').innerText(), /No gaps found/);
  await check(page, 'system-no-gaps');
});

test('a backup and a restore test are corrected in place, a mistake shown first', async () => {
  await page.getByRole('link', { name: 'Edit backup: Weekly tape copy' }).click();
  await page.waitForURL(/\/systems\/\d+\/backups\/\d+\/edit$/);
  assert.equal(await page.locator('h1').innerText(), 'Change backup');
  assert.equal(await page.getByLabel('How it is backed up').inputValue(), 'Weekly tape copy');
  assert.ok(await page.getByLabel('A copy is kept off-line').isChecked());
  await check(page, 'edit-backup');
  await page.getByLabel('How it is backed up').fill('');
  await page.getByRole('button', { name: 'Save backup' }).click();
  await page.waitForLoadState();
  const summary = page.locator('.nhsuk-error-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /Enter how it is backed up/);
  await check(page, 'edit-backup-errors');
  await page.getByLabel('How it is backed up').fill('Weekly tape copy');
  await page.getByLabel('Where it is kept').fill('Fire safe, main reception');
  await page.getByLabel('A copy is kept off-line').uncheck();
  await page.getByRole('button', { name: 'Save backup' }).click();
  await page.waitForURL(/\/systems\/\d+#backups$/);
  assert.match(await page.locator('.nhsuk-warning-callout').innerText(), /No off-line backup/);
  assert.ok(await page.getByRole('cell', { name: 'Fire safe, main reception' }).isVisible());
  // ticked again: the gap closes
  await page.getByRole('link', { name: 'Edit backup: Weekly tape copy' }).click();
  await page.getByLabel('A copy is kept off-line').check();
  await page.getByRole('button', { name: 'Save backup' }).click();
  await page.waitForURL(/\/systems\/\d+#backups$/);
  assert.match(await page.locator('.nhsuk-inset-text').innerText(), /No gaps found/);
  // the restore test took longer than recorded
  await page.getByRole('link', { name: `Edit restore test of` }).first().click();
  await page.waitForURL(/\/systems\/\d+\/restore-tests\/\d+\/edit$/);
  assert.equal(await page.locator('h1').innerText(), 'Change restore test');
  assert.equal(await page.getByLabel('Time taken (minutes)').inputValue(), '95');
  await check(page, 'edit-restore-test');
  await page.getByLabel('Time taken (minutes)').fill('110');
  await page.getByRole('button', { name: 'Save restore test' }).click();
  await page.waitForURL(/\/systems\/\d+#restore-tests$/);
  assert.ok(await page.getByRole('cell', { name: '110 minutes' }).isVisible());
  await check(page, 'system-after-edits');
});

test('a dependency is added and shows in the graph, which has a table alternative', async () => {
  await page.getByRole('link', { name: 'Add a dependency' }).click();
  await check(page, 'new-dependency');
  await page.getByLabel('System').selectOption({ label: 'Active Directory' });
  await page.getByRole('button', { name: 'Add system dependency' }).click();
  await page.waitForURL(/\/systems\/\d+#dependencies$/);
  assert.ok(await page.locator('#dependencies ~ div table').first().getByRole('link', { name: 'Active Directory' }).isVisible());
  await page.goto(`${srv.base}/orgs/RAL/systems/dependencies`);
  const svg = page.locator('svg.bw-graph');
  assert.equal(await svg.getAttribute('role'), 'img');
  assert.match(await page.locator('#graph-desc').textContent(), /Single points of failure: .*Active Directory/);
  assert.ok(await page.getByRole('table', { name: 'The same dependencies as a table' }).isVisible());
  await check(page, 'dependencies');
});

test('the ICS lead opens the gaps roll-up and drills down to a member', async () => {
  const p = await newPage();
  await signIn(p, demoEmail('ics_lead', 'QMJ'));
  await p.goto(`${srv.base}/orgs/QMJ/gaps`);
  assert.match(await p.locator('h1').innerText(), /Gaps in tier 1 systems/);
  await check(p, 'rollup');
  await p.getByRole('link', { name: 'Royal Free London NHS Foundation Trust' }).click();
  await p.waitForURL('**/orgs/RAL/registers');
  assert.equal(await p.locator('h1').innerText(), 'Registers');
  assert.match(await p.locator('.nhsuk-caption-l').innerText(), /Royal Free London/);
  await check(p, 'member-hub');
});

test('no page raised a script error', () => {
  assert.deepEqual(pageErrors, []);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
