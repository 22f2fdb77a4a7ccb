// suppliers_risks: a trust's organisation lead in a real browser (Debian's
// Chromium, headless, playwright-core) adds a supplier (first with a mistake
// the error summary names), reads its rating, adds a contract, raises a risk,
// accepts it, and looks at the heat map. axe-core checks every page (no
// serious or critical violation); screenshots go to tests/out/screens/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, demoEmail } from '../lib/server.mjs';
import { openBrowser } from '../lib/browser.mjs';

let inst;
let srv;
let page;
let jsErrors;
let check;
let close;

before(async () => {
  ({ inst, srv, page, jsErrors, check, close } = await openBrowser('suppliers-risks'));
});
after(async () => {
  await close?.();
});

test('the organisation lead signs in and opens the supplier register', async () => {
  await page.goto(`${srv.base}/sign-in`);
  await page.fill('#email', demoEmail('org_lead', 'RAL'));
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.goto(`${srv.base}/orgs/RAL/suppliers`);
  assert.match(await page.textContent('h1'), /Suppliers/);
  await check('supplier-list');
});

test('adding a supplier: a mistake is named in the error summary, then it is saved', async () => {
  await page.click('text=Add a supplier');
  await check('supplier-new');
  await page.fill('#name', 'Harrow Imaging Services Ltd');
  await page.fill('#company_number', '12AB');
  await page.selectOption('#ce_level', 'ce');
  await page.click('button:has-text("Save supplier")');
  const summary = await page.textContent('.nhsuk-error-summary');
  assert.match(summary, /Company number must be 8 characters/);
  assert.match(summary, /Enter the date the Cyber Essentials certificate expires/);
  await check('supplier-errors');
  await page.fill('#company_number', '07654321');
  await page.fill('#ce_expiry', '2/3/2026');
  await page.fill('#services', 'MRI scanning and reporting');
  await page.click('button:has-text("Save supplier")');
  await page.waitForURL(/\/suppliers\/\d+$/);
  const text = await page.textContent('main');
  assert.match(text, /expired on 2 Mar 2026/);
  assert.match(text, /Risk rating/);
  await check('supplier-page');
});

test('adding a contract to the supplier', async () => {
  await page.click('text=Add a contract');
  await check('contract-new');
  await page.fill('#reference', 'Imaging services 2026-2029');
  await page.fill('#start_date', '1/4/2026');
  await page.fill('#end_date', '31/3/2029');
  await page.fill('#notify_hours', '24');
  await page.click('button:has-text("Save contract")');
  await page.waitForURL(/\/suppliers\/\d+$/);
  assert.match(await page.textContent('main'), /Imaging services 2026-2029/);
  assert.match(await page.textContent('main'), /Within 24 hours/);
});

test('a shared national record shows its rating explained', async () => {
  const id = (await inst.sql("SELECT id FROM suppliers WHERE name = 'Kestrel Pathology Software Ltd (synthetic)'"))[0];
  await page.goto(`${srv.base}/suppliers/${id}`);
  assert.match(await page.textContent('main'), /certificate expired on/);
  await check('supplier-shared');
});

test('raising a risk, then accepting it', async () => {
  await page.goto(`${srv.base}/orgs/RAL/risks`);
  await check('risk-list');
  await page.click('text=Raise a risk');
  await check('risk-new');
  await page.fill('#title', 'MRI supplier certificate has expired');
  await page.selectOption('#category', 'supplier');
  await page.fill('#owner', 'Head of IT');
  await page.selectOption('#likelihood', '4');
  await page.selectOption('#impact', '4');
  await page.selectOption('#residual_likelihood', '3');
  await page.selectOption('#residual_impact', '4');
  await page.click('button:has-text("Save risk")');
  await page.waitForURL(/\/risks\/\d+$/);
  assert.match(await page.textContent('main'), /12 High/);
  await check('risk-page');
  const until = new Date(inst.now() * 1000 + 150 * 86400000);
  await page.fill('#accepted_until', `${until.getUTCDate()}/${until.getUTCMonth() + 1}/${until.getUTCFullYear()}`);
  await page.fill('#reason', 'A new certificate is being assessed');
  await page.click('button:has-text("Accept this risk")');
  await page.waitForURL(/\/risks\/\d+$/);
  assert.match(await page.textContent('main'), /By [^]*org_lead@ral\.demo\.bulwark\.example/);
  await check('risk-accepted');
});

test('the heat map and its table', async () => {
  await page.goto(`${srv.base}/orgs/RAL/risks/heatmap`);
  assert.equal(await page.locator('svg[role=img]').count(), 2);
  await check('risk-heatmap');
});

test('no script errors, and the server stops cleanly', async () => {
  assert.deepEqual(jsErrors, []);
  await assertCleanShutdown(inst, assert);
});
