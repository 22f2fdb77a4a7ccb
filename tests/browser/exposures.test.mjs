// exposures (browser): a GP practice's lead opens Exposures from the
// navigation (the demo's KEV catalogue and CVE slice are matched against its
// inventory), filters to known exploited ones, opens one, sees why it
// matched, is told that "not affected" needs a justification, and triages
// it; then opens the vulnerability's own page. axe-core checks every page
// (no serious or critical violation); screenshots go to
// tests/out/screens/exposures-*.png. SQLite only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, demoEmail } from '../lib/server.mjs';
import { openBrowser } from '../lib/browser.mjs';

const GP = 'E83046';

let inst;
let srv;
let page;
let jsErrors;
let check;
let close;

before(async () => {
  ({ inst, srv, page, jsErrors, check, close } = await openBrowser('exposures'));
});
after(async () => {
  await close?.();
});

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
