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

import { PASSWORD, assertCleanShutdown, demoEmail } from '../lib/server.mjs';
import { openBrowser } from '../lib/browser.mjs';

let inst;
let srv;
let page;
let newPage;
let pageErrors;
let check;
let close;

before(async () => {
  ({ inst, srv, page, newPage, jsErrors: pageErrors, check, close } = await openBrowser('systems'));
});
after(async () => {
  await close?.();
});

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
  await check('hub');
  await page.getByRole('link', { name: 'Critical systems' }).click();
  await page.waitForURL('**/orgs/RAL/systems');
  assert.ok(await page.getByRole('link', { name: 'Electronic patient record' }).isVisible());
  await check('list');
});

test('adding a system: a mistake is shown in the error summary, then it is saved', async () => {
  await page.getByRole('link', { name: 'Add a system' }).click();
  await page.waitForURL('**/orgs/RAL/systems/new');
  await check('new-system');
  await page.getByLabel('Name').fill('Maternity system (BadgerNet)');
  await page.getByLabel('Recovery time objective (hours)').fill('four');
  await page.getByRole('button', { name: 'Save system' }).click();
  await page.waitForLoadState();
  const summary = page.locator('.nhsuk-error-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /Enter what it does for patients/);
  assert.match(await summary.innerText(), /Recovery time objective \(hours\) must be a whole number/);
  await check('new-system-errors');
  await page.getByLabel('What it does for patients').fill('Maternity records from booking to birth');
  await page.getByLabel('Criticality').selectOption('1');
  await page.getByLabel('Recovery time objective (hours)').fill('4');
  await page.getByLabel('Downtime (paper) procedure').fill('Paper maternity notes in the delivery suite office');
  await page.getByRole('button', { name: 'Save system' }).click();
  await page.waitForURL(/\/systems\/\d+$/);
  assert.equal(await page.locator('h1').innerText(), 'Maternity system (BadgerNet)');
  assert.match(await page.locator('.nhsuk-warning-callout').innerText(), /No off-line backup/);
  await check('system');
});

test('a backup with an off-line copy and a recent restore test close the gaps', async () => {
  await page.getByRole('link', { name: 'Add a backup' }).click();
  await page.getByLabel('How it is backed up').fill('Weekly tape copy');
  await page.getByLabel('How often').selectOption('weekly');
  await page.getByLabel('A copy is kept off-line').check();
  await page.getByLabel('Where it is kept').fill('Tape safe, estates building');
  await check('new-backup');
  await page.getByRole('button', { name: 'Add backup' }).click();
  await page.waitForURL(/\/systems\/\d+#backups$/);
  await page.getByRole('link', { name: 'Record a restore test' }).click();
  await page.getByLabel('Date of the test').fill(dateAgo(3));
  await page.getByLabel('Time taken (minutes)').fill('95');
  await page.getByLabel('Which backup was restored').selectOption({ index: 1 });
  await check('new-restore-test');
  await page.getByRole('button', { name: 'Save restore test' }).click();
  await page.waitForURL(/\/systems\/\d+#restore-tests$/);
  assert.match(await page.locator('.nhsuk-inset-text').innerText(), /No gaps found/);
  await check('system-no-gaps');
});

test('a backup and a restore test are corrected in place, a mistake shown first', async () => {
  await page.getByRole('link', { name: 'Edit backup: Weekly tape copy' }).click();
  await page.waitForURL(/\/systems\/\d+\/backups\/\d+\/edit$/);
  assert.equal(await page.locator('h1').innerText(), 'Change backup');
  assert.equal(await page.getByLabel('How it is backed up').inputValue(), 'Weekly tape copy');
  assert.ok(await page.getByLabel('A copy is kept off-line').isChecked());
  await check('edit-backup');
  await page.getByLabel('How it is backed up').fill('');
  await page.getByRole('button', { name: 'Save backup' }).click();
  await page.waitForLoadState();
  const summary = page.locator('.nhsuk-error-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /Enter how it is backed up/);
  await check('edit-backup-errors');
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
  await check('edit-restore-test');
  await page.getByLabel('Time taken (minutes)').fill('110');
  await page.getByRole('button', { name: 'Save restore test' }).click();
  await page.waitForURL(/\/systems\/\d+#restore-tests$/);
  assert.ok(await page.getByRole('cell', { name: '110 minutes' }).isVisible());
  await check('system-after-edits');
});

test('a dependency is added and shows in the graph, which has a table alternative', async () => {
  await page.getByRole('link', { name: 'Add a dependency' }).click();
  await check('new-dependency');
  await page.getByLabel('System').selectOption({ label: 'Active Directory' });
  await page.getByRole('button', { name: 'Add system dependency' }).click();
  await page.waitForURL(/\/systems\/\d+#dependencies$/);
  assert.ok(await page.locator('#dependencies ~ div table').first().getByRole('link', { name: 'Active Directory' }).isVisible());
  await page.goto(`${srv.base}/orgs/RAL/systems/dependencies`);
  const svg = page.locator('svg.bw-graph');
  assert.equal(await svg.getAttribute('role'), 'img');
  assert.match(await page.locator('#graph-desc').textContent(), /Single points of failure: .*Active Directory/);
  assert.ok(await page.getByRole('table', { name: 'The same dependencies as a table' }).isVisible());
  await check('dependencies');
});

test('the ICS lead opens the gaps roll-up and drills down to a member', async () => {
  const p = await newPage();
  await signIn(p, demoEmail('ics_lead', 'QMJ'));
  await p.goto(`${srv.base}/orgs/QMJ/gaps`);
  assert.match(await p.locator('h1').innerText(), /Gaps in tier 1 systems/);
  await check('rollup', p);
  await p.getByRole('link', { name: 'Royal Free London NHS Foundation Trust' }).click();
  await p.waitForURL('**/orgs/RAL/registers');
  assert.equal(await p.locator('h1').innerText(), 'Registers');
  assert.match(await p.locator('.nhsuk-caption-l').innerText(), /Royal Free London/);
  await check('member-hub', p);
});

test('no page raised a script error', () => {
  assert.deepEqual(pageErrors, []);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
