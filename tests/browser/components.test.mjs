// components (browser): an organisation lead records software in a real
// browser — types a component with a misspelt name, confirms the suggested
// CPE, imports a real CycloneDX SBOM through the file form, sees a bad CSV
// refused row by row, and searches the organisation's software. axe-core
// checks every page (no serious or critical violation); screenshots go to
// tests/out/screens/components-*.png. SQLite only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { PASSWORD, assertCleanShutdown, demoEmail } from '../lib/server.mjs';
import { openBrowser } from '../lib/browser.mjs';

const DATA = resolve(process.env.BULWARK_DATA || '../shared/data');

let inst;
let srv;
let page;
let jsErrors;
let check;
let close;
let org;
let sys;

before(async () => {
  ({ inst, srv, page, jsErrors, check, close } = await openBrowser('components'));
  const rows = await inst.sql("SELECT o.code, s.id FROM systems s JOIN orgs o ON o.id = s.org_id"
    + " WHERE o.type = 'nhs_trust' ORDER BY s.id LIMIT 1");
  [org, sys] = rows[0].split('\t');
});
after(async () => {
  await close?.();
});

test('an organisation lead signs in and opens a system\'s software', async () => {
  await page.goto(`${srv.base}/sign-in`);
  await page.fill('#email', demoEmail('org_lead', org));
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.goto(`${srv.base}/systems/${sys}/components`);
  assert.match(await page.title(), /^Software in /);
  await check('list');
});

test('a misspelt component gets a suggestion, which the lead confirms', async () => {
  await page.click('text=Add a component');
  await check('add-form');
  await page.fill('#vendor', 'Mircosoft');
  await page.fill('#product', 'Ofice');
  await page.fill('#version', '2016');
  await page.click('button:has-text("Add component")');
  await page.waitForURL(/\/components\/\d+$/);
  assert.match(await page.content(), /not confirmed/);
  await check('suggestions');
  await page.click('button:has-text("Use this for microsoft office")');
  await page.waitForURL(/\/components\/\d+$/);
  assert.match(await page.content(), /cpe:2\.3:a:microsoft:office:2016:\*:\*:\*:\*:\*:\*:\* \(confirmed\)/);
  await check('confirmed');
});

test('a bad CPE is named in the error summary', async () => {
  await page.goto(`${srv.base}/systems/${sys}/components/new`);
  await page.fill('#product', 'Widget');
  await page.fill('#cpe', 'cpe:2.3:a:acme');
  await page.click('button:has-text("Add component")');
  const summary = await page.textContent('.nhsuk-error-summary');
  assert.match(summary, /CPE name is not valid/);
  await check('add-error');
});

test('a real CycloneDX SBOM imports through the file form', async () => {
  await page.goto(`${srv.base}/systems/${sys}/import`);
  await check('import-form');
  await page.setInputFiles('#file', join(DATA, 'feeds/sbom/trivy/integration/testdata/npm-cyclonedx.json.golden'));
  await page.click('button:has-text("Import")');
  await page.waitForSelector('text=Import finished');
  assert.match(await page.content(), /CycloneDX 1\.7: \d+ added/);
  await check('import-done');
});

test('a CSV with a bad row is refused row by row, and nothing is imported', async () => {
  const file = join(inst.dir, 'inventory.csv');
  writeFileSync(file, 'vendor,product,version,cpe\nMozilla,Firefox,115.0,\nAcme,Tool,1,cpe:2.3:a:acme\n');
  await page.goto(`${srv.base}/systems/${sys}/import`);
  await page.setInputFiles('#file', file);
  await page.click('button:has-text("Import")');
  const summary = await page.textContent('.nhsuk-error-summary');
  assert.match(summary, /nothing was imported/);
  assert.match(await page.content(), /1 row with problems/);
  await check('import-errors');
  const [n] = await inst.sql("SELECT count(*) FROM components WHERE product = 'Firefox' AND version = '115.0'");
  assert.equal(n, '0');
});

test('the organisation\'s software can be searched', async () => {
  await page.goto(`${srv.base}/orgs/${org}/components`);
  await page.fill('#q', 'ofic');
  await page.click('button:has-text("Search")');
  assert.match(await page.content(), />Ofice</);
  await check('search');
  assert.deepEqual(jsErrors, []);
});

test('servers shut down cleanly', async () => {
  await assertCleanShutdown(inst, assert);
});
