// findings (browser): a GP practice's lead uploads a real EVTX file through
// the upload form, waits for the background scan, finds the expected rule's
// finding on the findings page (with the rule's author), opens it, is told
// that a false positive needs a reason, and triages it. axe-core checks
// every page (no serious or critical violation); screenshots go to
// tests/out/screens/findings-*.png. SQLite only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';

import { PASSWORD, assertCleanShutdown, demoEmail } from '../lib/server.mjs';
import { openBrowser } from '../lib/browser.mjs';

const DATA = resolve(process.env.BULWARK_DATA || '../shared/data');
const GRIXBA_ID = 'af688c76-4ce4-4309-bfdd-e896f01acf27';
const EVTX = join(DATA, 'detect/sigma-regression/regression_data/rules-emerging-threats/2025/Malware/Grixba',
  `proc_creation_win_malware_grixba_recon/${GRIXBA_ID}.evtx`);
const GP = 'E83046';

let inst;
let srv;
let page;
let jsErrors;
let check;
let close;

before(async () => {
  ({ inst, srv, page, jsErrors, check, close } = await openBrowser('findings'));
});
after(async () => {
  await close?.();
});

test('a GP practice lead signs in and opens Findings from the navigation', async () => {
  await page.goto(`${srv.base}/sign-in`);
  await page.fill('#email', demoEmail('org_lead', GP));
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.click('nav a:has-text("Findings")');
  await page.waitForURL(new RegExp(`/orgs/${GP}/findings$`));
  assert.match(await page.title(), /^Findings - /);
  assert.match(await page.content(), /No findings match/);
  await check('empty-list');
});

test('the lead uploads an EVTX file and the scan finishes in the background', async () => {
  await page.click('text=Upload an event log');
  await check('upload-form');
  await page.setInputFiles('#file', EVTX);
  await page.click('button:has-text("Upload and scan")');
  await page.waitForURL(new RegExp(`/orgs/${GP}/findings/upload$`));
  for (let i = 0; i < 60 && !(await page.content()).includes('Scanned'); i++) {
    await page.waitForTimeout(500);
    await page.reload();
  }
  assert.match(await page.content(), /Scanned/);
  await check('upload-done');
});

test('the finding is listed with its rule and author, and opens with the matched fields', async () => {
  await page.goto(`${srv.base}/orgs/${GP}/findings`);
  const content = await page.content();
  assert.match(content, /Grixba Malware Reconnaissance Activity/);
  assert.match(content, /Rule by yxinmiracle/);
  await check('list');
  await page.click('a:has-text("Grixba Malware Reconnaissance Activity")');
  await page.waitForURL(/\/findings\/\d+$/);
  const detail = await page.content();
  assert.match(detail, new RegExp(GRIXBA_ID));
  assert.match(detail, /CommandLine/);
  await check('detail');
});

test('a false positive without a reason is refused; with one it is saved', async () => {
  await page.check('#state-false_positive');
  await page.click('button:has-text("Save")');
  const summary = await page.textContent('.nhsuk-error-summary');
  assert.match(summary, /Say why this is a false positive/);
  await check('triage-error');
  await page.fill('#note', 'Our IT supplier was testing the scanner');
  await page.click('button:has-text("Save")');
  await page.waitForURL(/\/findings\/\d+$/);
  assert.match(await page.content(), /Finding marked: False positive/);
  await check('triaged');
  const [state] = await inst.sql("SELECT state FROM findings f JOIN orgs o ON o.id = f.org_id WHERE o.code = 'E83046'");
  assert.equal(state, 'false_positive');
  assert.deepEqual(jsErrors, []);
});

test('servers shut down cleanly', async () => {
  await assertCleanShutdown(inst, assert);
});
