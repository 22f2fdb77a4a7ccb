// alert_journey: a known exploited vulnerability from alert to closure, the
// way the national team and the organisations live it, in a real browser.
// The analyst opens a KEV entry the demo estate is exposed to, drafts an
// advisory from it in one click, aims it at the exposed organisations,
// sees who it reaches and publishes it; the e-mail reaches a real SMTP
// server (npm smtp-server, started here); a GP practice's lead follows the
// link in that e-mail, acknowledges, says it applies, posts an update and
// closes; the ICS lead answers for three other exposed members at once,
// and each of them shows it was done on its behalf; the analyst's roll-up
// counts all of it. axe-core checks every page; screenshots go to
// tests/out/screens/journey-*.png. SQLite only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, assertCleanShutdown, demoEmail, totp } from '../lib/server.mjs';
import { openBrowser } from '../lib/browser.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';

const CVE = 'CVE-2024-20481';   // on CISA's KEV list; the demo's Cisco ASA firewalls run affected versions
const ICS = 'QMJ';

let inst;
let srv;
let analyst;
let newPage;
let jsErrors;
let check;
let close;
let sink;
let id = '';
let exposed = [];   // codes of the exposed organisations below the ICS
const mails = [];

async function signIn(p, email) {
  await p.goto(`${srv.base}/sign-in`);
  await p.fill('#email', email);
  await p.fill('#password', PASSWORD);
  await p.click('button[type=submit]');
}

before(async () => {
  // read by the server at start-up (src/alerts/outbox.c)
  sink = await startSmtpSink((m) => mails.push(m));
  process.env.BULWARK_SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
  process.env.BULWARK_MAIL_FROM = 'alerts@bulwark.test';
  process.env.BULWARK_PUBLIC_URL = 'https://bulwark.test';
  let page;
  ({ inst, srv, page, newPage, jsErrors, check, close } = await openBrowser('journey'));
  analyst = page;
  // GP practices first: one answers for itself, the ICS lead answers for the next three
  exposed = await inst.sql(`SELECT o.code FROM exposures e JOIN orgs o ON o.id = e.org_id
    WHERE e.vuln_id = '${CVE}' AND e.gone_at IS NULL
    AND o.path > (SELECT path FROM orgs WHERE code = '${ICS}') AND o.path < (SELECT path FROM orgs WHERE code = '${ICS}') || '~'
    GROUP BY o.code, o.type ORDER BY o.type <> 'gp_practice', o.code`);
});
after(async () => {
  await close?.();
  await sink?.close();
  delete process.env.BULWARK_SMTP_URL;
  delete process.env.BULWARK_MAIL_FROM;
  delete process.env.BULWARK_PUBLIC_URL;
});

test('the demo estate has at least four exposed organisations in the ICS', () => {
  assert.ok(exposed.length >= 4, `exposed organisations in ${ICS}: ${exposed.join(' ')}`);
});

test('the analyst opens the KEV entry and drafts an advisory from it in one click', async () => {
  await signIn(analyst, demoEmail('analyst', 'NATIONAL'));
  const secret = (await analyst.textContent('code.bw-secret')).replace(/\s+/g, '');
  await analyst.fill('#code', totp(secret, inst.now()));
  await analyst.click('button[type=submit]');
  await analyst.goto(`${srv.base}/vulnerabilities/${CVE}`);
  assert.match(await analyst.textContent('main'), /Known exploited/i);
  await check('kev-entry');
  await analyst.click('text=Draft an advisory about it');
  await analyst.waitForURL(/\/advisories\/new/);
  assert.equal(await analyst.inputValue('#target_kind'), 'exposed');
  assert.match(await analyst.inputValue('#cves'), new RegExp(CVE));
  assert.notEqual(await analyst.inputValue('#title'), '', 'the title comes from the feeds');
  await check('draft-from-kev');
  if (!(await analyst.inputValue('#remediation')))
    await analyst.fill('#remediation', 'Apply the vendor update to every affected firewall.');
  await analyst.click('button:has-text("Save")');
  id = (await analyst.textContent('.nhsuk-caption-l')).trim();
  assert.match(id, /^CC-\d{4}$/);
});

test('the analyst sees exactly the exposed organisations and publishes', async () => {
  await analyst.click('button:has-text("Send for review")');
  await analyst.click('text=Review and publish');
  const [n] = await inst.sql(`SELECT count(DISTINCT org_id) FROM exposures WHERE vuln_id = '${CVE}' AND gone_at IS NULL`);
  assert.match(await analyst.textContent('#target-count'), new RegExp(`^${n} organisations`));
  for (const code of exposed) assert.match(await analyst.textContent('main'), new RegExp(`\\(${code}\\)|${code}`));
  await check('targets');
  await analyst.click('button:has-text("Publish advisory")');
  assert.match(await analyst.textContent('main'), new RegExp(`Published to ${n} organisations`));
});

test("the e-mail reaches the practice's alert contact, and its link leads to the response form", async () => {
  const lead = exposed[0];
  const contacts = await inst.sql(`SELECT c.address FROM alert_contacts c JOIN orgs o ON o.id = c.org_id
    WHERE o.code = '${lead}' AND c.kind = 'email' AND c.role = 'alerts'`);
  assert.ok(contacts.length > 0, 'the demo practice has an e-mail alert contact');
  let mail;
  for (let i = 0; i < 120 && !mail; i++) {
    mail = mails.find((m) => m.to.includes(contacts[0]) && m.raw.includes(id));
    if (!mail) await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(mail, `an e-mail about ${id} reached ${contacts[0]}`);
  const body = mail.raw.replace(/=\r\n/g, '');
  const link = /https:\/\/bulwark\.test(\/\S*?)(?=[\s"<>]|$)/.exec(body);
  assert.ok(link, 'the e-mail carries a link');
  assert.equal(mails.filter((m) => m.to.includes(contacts[0]) && m.raw.includes(id)).length, 1, 'sent once');

  const p = await newPage();
  await signIn(p, demoEmail('org_lead', lead));
  await p.goto(`${srv.base}${link[1]}`);
  assert.equal(new URL(p.url()).pathname, `/orgs/${lead}/alerts/${id}`, 'the link lands on the practice\'s own copy');
  assert.match(await p.textContent('main'), /Acknowledge alert/);
  await check('mailed-alert', p);
  await p.click('button:has-text("Acknowledge alert")');
  await p.selectOption('#step', 'applicable');
  await p.fill('#reason', 'One firewall at the surgery');
  await p.click('button:has-text("Save answer")');
  await p.fill('#update_note', 'The firewall vendor update is scheduled tonight');
  await p.click('button:has-text("Save update")');
  assert.match(await p.textContent('main'), /scheduled tonight/);
  await p.selectOption('#closure', 'remediated');
  await p.fill('#close_note', 'Updated; the firewall runs a fixed release');
  await p.click('button:has-text("Close response")');
  assert.match(await p.textContent('main'), /Response closed/);
  await check('closed', p);
  await p.context().close();
});

test('the ICS lead acknowledges for three members at once, each marked as done on its behalf', async () => {
  const p = await newPage();
  await signIn(p, demoEmail('ics_lead', ICS));
  await p.goto(`${srv.base}/orgs/${ICS}/alerts/${id}`);
  const three = exposed.slice(1, 4);
  for (const code of three) await p.check(`#member-${code}`);
  await p.selectOption('#bulk_step', 'acknowledge');
  await check('bulk-form', p);
  await p.click('button:has-text("Respond for the chosen organisations")');
  assert.match(await p.textContent('main'), /Recorded for 3 organisations/);
  for (const code of three) {
    const [state, behalf] = (await inst.sql(`SELECT r.state || '|' || coalesce(r.on_behalf_of, '') FROM advisory_responses r
      JOIN orgs o ON o.id = r.org_id WHERE r.advisory_id = '${id}' AND o.code = '${code}'`))[0].split('|');
    assert.equal(state, 'acknowledged', code);
    assert.notEqual(behalf, '', `${code} shows who answered for it`);
  }
  await p.context().close();
});

test("the analyst's roll-up counts the closure and the three acknowledgements", async () => {
  await analyst.goto(`${srv.base}/orgs/NATIONAL/advisories/${id}/responses`);
  const desc = await analyst.textContent('#chart-desc');
  assert.match(desc, /4 had acknowledged and 1 had closed/);
  await check('rollup');
  assert.deepEqual(jsErrors, []);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
