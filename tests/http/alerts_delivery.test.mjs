// alerts_delivery: how advisories reach people. An organisation lead keeps
// the alert contacts (bad numbers name the field and change nothing; a
// webhook's secret is shown once; contributors cannot change the list and
// other trusts see nothing), the same through the API, and then real
// delivery: a local SMTP sink (npm smtp-server) receives each e-mail once
// with the delivery's key as Message-ID, a local HTTP endpoint receives the
// signed webhook (HMAC checked here) and the GOV.UK Notify call (JSON and
// JWT checked here, only for high-severity alerts); with the mail server
// down nothing is lost and everything arrives once when it returns.
//
// The advisory is published the way core's publish leaves the tables: its
// rows, its targets, and the outbox's own INSERT ... SELECT (the statement
// in src/alerts/outbox.c), so this file tests delivery on its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';

import { PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail } from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';

const NOTIFY_SERVICE = '26785a09-ab16-4eb0-8407-a37497a57506';
const NOTIFY_SECRET = '3d844edf-8d35-48ac-975b-e847b4f122b0';
const NOTIFY_TEMPLATE = 'f33517ff-2a88-4f6e-b855-c550268ce08a';

let inst;
let srv;
let lead;
let contrib;
let ran;
let sink;
let sinkPort;
let hooks;
let hookPort;
let webhookSecret = '';
const mails = [];
const calls = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// the local mail server: every message it accepts, with its advisory id
function startSink(port) {
  return startSmtpSink((m) => mails.push({ ...m, advisory: (m.advisory || '').split(' ')[0] }), { port });
}

before(async () => {
  sink = await startSink();
  sinkPort = sink.port;
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      calls.push({ path: req.url, headers: req.headers, body });
      res.writeHead(req.url.startsWith('/notify/') ? 201 : 200, { 'Content-Type': 'application/json' });
      res.end('{"id":"740e5834-3a29-46b4-9a6f-16142fde533a"}');
    });
  });
  await new Promise((r) => hooks.listen(0, '127.0.0.1', r));
  hookPort = hooks.address().port;
  // read by the server at start-up (src/alerts/outbox.c, outbox_config_from_env)
  process.env.BULWARK_SMTP_URL = `smtp://127.0.0.1:${sinkPort}`;
  process.env.BULWARK_MAIL_FROM = 'alerts@bulwark.test';
  process.env.BULWARK_PUBLIC_URL = 'https://bulwark.test';
  process.env.BULWARK_NOTIFY_URL = `http://127.0.0.1:${hookPort}/notify`;
  process.env.BULWARK_NOTIFY_KEY = `bulwark_test-${NOTIFY_SERVICE}-${NOTIFY_SECRET}`;
  process.env.BULWARK_NOTIFY_TEMPLATE = NOTIFY_TEMPLATE;
  inst = await createInstance('alerts-delivery');
  srv = inst.server;
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  contrib = srv.client();
  await contrib.signInFull(demoEmail('contributor', 'RAL'), PASSWORD);
  ran = srv.client();
  await ran.signInFull(demoEmail('org_lead', 'RAN'), PASSWORD);
});
after(async () => {
  await inst?.close();
  await sink?.close();
  await new Promise((r) => (hooks ? hooks.close(r) : r()));
});

const one = async (sql) => (await inst.sql(sql))[0];
// The demo estate's own advisories are delivered too: look at one advisory's messages.
const mailsOf = (id) => mails.filter((m) => m.advisory === id);
const callsOf = (id) => calls.filter((c) => {
  try {
    const j = JSON.parse(c.body);
    return (j.advisory?.id ?? j.personalisation?.advisory_id) === id;
  } catch {
    return false;
  }
});

// What core's publish leaves behind, ending with the outbox's statement.
async function publish(id, seq, type, codes) {
  const now = inst.now();
  const content = JSON.stringify({ title: `Exploited flaw ${id} in Example VPN`, summary: 'Patch the gateway today.', type, severity: 'critical' });
  const list = codes.map((c) => `'${c}'`).join(', ');
  await inst.sql(`INSERT INTO advisories (id, prefix, seq, owner_org_id, state, revision, title, type, severity, tlp,
    ack_hours, update_days, draft, created_by, created_at, updated_at) VALUES ('${id}', 'CC', ${seq},
    (SELECT id FROM orgs WHERE code = 'NATIONAL'), 'published', 1, 'x', '${type}', 'critical', 'TLP:CLEAR', 48, 3, '{}',
    'test', ${now}, ${now})`);
  await inst.sql(`INSERT INTO advisory_revisions (advisory_id, revision, published_at, published_by, tlp, content)
    VALUES ('${id}', 1, ${now}, 'test', 'TLP:CLEAR', '${content}')`);
  await inst.sql(`INSERT INTO advisory_targets (advisory_id, org_id, revision)
    SELECT '${id}', id, 1 FROM orgs WHERE code IN (${list})`);
  await inst.sql(`INSERT INTO deliveries (idem_key, advisory_id, revision, reason, org_id, contact_id, channel,
    recipient, state, attempts, next_at, created_at)
    SELECT CAST('${id}' AS TEXT) || '.r' || CAST('1' AS TEXT) || '.' || CAST('published' AS TEXT) || '.'
      || CAST(t.org_id AS TEXT) || '.' || CAST(c.id AS TEXT), '${id}', 1, 'published', t.org_id, c.id, c.kind,
      c.address, 'queued', 0, ${now}, ${now}
    FROM advisory_targets t JOIN alert_contacts c ON c.org_id = t.org_id AND c.role = 'alerts'
    WHERE t.advisory_id = '${id}' AND (c.kind <> 'sms' OR ${type === 'high_severity_alert' ? 1 : 0} = 1)`);
  await inst.sql(`INSERT INTO jobs (kind, payload, state, attempts, run_at, created_at)
    VALUES ('outbox.send', '', 'queued', 0, ${now}, ${now})`);
}

async function waitFor(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${srv.log.slice(-3000)}`);
    await sleep(250);
  }
}

test("the demo's advisories, published through the alerts module, reach every alert contact once", async () => {
  const rows = (await inst.sql(`SELECT channel, recipient, idem_key, advisory_id FROM deliveries`)).map((l) => l.split('\t'));
  assert.ok(rows.length >= 20, `${rows.length} demo deliveries queued by publishing`);
  await waitFor('the demo deliveries', async () => (await one(`SELECT count(*) FROM deliveries WHERE state <> 'sent'`)) === '0');
  await sleep(300);
  for (const [channel, to, key, id] of rows) {
    if (channel === 'email') {
      // by its key: an overdue demo response may be escalated to the same
      // contact meanwhile, which is another message with its own key
      const got = mailsOf(id).filter((m) => m.messageId === `<${key}@bulwark.test>`);
      assert.equal(got.length, 1, `${id} to ${to}`);
      assert.ok(got[0].to.includes(to), `${id} to ${to}`);
    } else if (channel === 'sms') {
      assert.equal(callsOf(id).filter((c) => JSON.parse(c.body).reference === key).length, 1, `${id} to ${to}`);
    }
  }
  // high-severity alerts only by text
  const smsTypes = await inst.sql(`SELECT DISTINCT a.type FROM deliveries d JOIN advisories a ON a.id = d.advisory_id WHERE d.channel = 'sms'`);
  assert.deepEqual(smsTypes, ['high_severity_alert']);
});

test('an organisation lead sees, adds and removes alert contacts; bad input names the field', async () => {
  const r = await lead.get('/orgs/RAL/alert-contacts');
  assert.equal(r.status, 200);
  assert.match(r.text, /cyber-alerts@ral\.demo\.bulwark\.example/);
  assert.match(r.text, /Add a contact/);

  const before = await one(`SELECT count(*) FROM alert_contacts c JOIN orgs o ON o.id = c.org_id WHERE o.code = 'RAL'`);
  const bad = await lead.post('/orgs/RAL/alert-contacts', { kind: 'sms', address: '07700 900123', role: 'alerts', name: '' });
  assert.equal(bad.status, 400);
  const errs = pageErrors(bad.text);
  assert.equal(errs.length, 1);
  assert.equal(errs[0].field, 'address');
  assert.match(errs[0].message, /international format/);
  assert.match(bad.text, /value="07700 900123"/, 'what was typed is kept');
  const http = await lead.post('/orgs/RAL/alert-contacts', { kind: 'webhook', address: 'http://soc.example.com/hook', role: 'alerts' });
  assert.equal(http.status, 400);
  assert.match(pageErrors(http.text)[0].message, /https:\/\//);
  assert.equal(await one(`SELECT count(*) FROM alert_contacts c JOIN orgs o ON o.id = c.org_id WHERE o.code = 'RAL'`), before);

  const ok = await lead.post('/orgs/RAL/alert-contacts', { kind: 'email', address: 'soc@ral.example.nhs.uk', role: 'alerts', name: 'Security operations' });
  assert.equal(ok.status, 303);
  assert.equal(ok.location, '/orgs/RAL/alert-contacts');
  const dup = await lead.post('/orgs/RAL/alert-contacts', { kind: 'email', address: 'soc@ral.example.nhs.uk', role: 'alerts' });
  assert.equal(dup.status, 409);
  assert.match(pageErrors(dup.text)[0].message, /already on the list/);
  const mobile = await lead.post('/orgs/RAL/alert-contacts', { kind: 'sms', address: '+447700900555', role: 'alerts' });
  assert.equal(mobile.status, 303);

  // a webhook: its secret is on the answer to the POST, and never again
  const wh = await lead.post('/orgs/RAL/alert-contacts', { kind: 'webhook', address: `http://127.0.0.1:${hookPort}/hook`, role: 'alerts', name: 'SIEM' });
  assert.equal(wh.status, 200);
  const m = /id="webhook-secret">([0-9a-f]{64})</.exec(wh.text);
  assert.ok(m, 'the secret is shown');
  webhookSecret = m[1];
  assert.match(wh.headers.get('cache-control') || '', /no-store/);
  const again = await lead.get('/orgs/RAL/alert-contacts');
  assert.doesNotMatch(again.text, new RegExp(webhookSecret));
  assert.match(again.text, /soc@ral\.example\.nhs\.uk/);
  assert.equal(await one(`SELECT count(*) FROM audit WHERE action = 'alert_contact.add' AND actor = '${demoEmail('org_lead', 'RAL')}'`), '3');

  // removing one, audited
  const id = await one(`SELECT id FROM alert_contacts WHERE address = '+447700900555'`);
  const del = await lead.post(`/alert-contacts/${id}/delete`, {});
  assert.equal(del.status, 303);
  assert.equal(await one(`SELECT count(*) FROM alert_contacts WHERE id = ${id}`), '0');
  assert.equal(await one(`SELECT count(*) FROM audit WHERE action = 'alert_contact.remove' AND object = 'alert_contact:${id}'`), '1');
});

test('a contributor may look but not change; another trust sees nothing', async () => {
  const look = await contrib.get('/orgs/RAL/alert-contacts');
  assert.equal(look.status, 200);
  assert.doesNotMatch(look.text, /Add a contact/);
  assert.doesNotMatch(look.text, />Remove</);
  const n = await one('SELECT count(*) FROM alert_contacts');
  const add = await contrib.post('/orgs/RAL/alert-contacts', { kind: 'email', address: 'x@ral.example.nhs.uk', role: 'alerts' });
  assert.ok(add.status === 403 || add.status === 404, `contributor add: ${add.status}`);
  const id = await one(`SELECT c.id FROM alert_contacts c JOIN orgs o ON o.id = c.org_id WHERE o.code = 'RAL' ORDER BY c.id LIMIT 1`);
  const del = await contrib.post(`/alert-contacts/${id}/delete`, {});
  assert.ok(del.status === 403 || del.status === 404, `contributor delete: ${del.status}`);
  assert.equal((await ran.get('/orgs/RAL/alert-contacts')).status, 404);
  assert.equal((await ran.post(`/alert-contacts/${id}/delete`, {})).status, 404);
  assert.equal((await ran.post('/orgs/RAL/alert-contacts', { kind: 'email', address: 'x@ran.example.nhs.uk' })).status, 404);
  assert.equal(await one('SELECT count(*) FROM alert_contacts'), n);
});

test('the API lists, adds (secret once) and removes alert contacts', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'), { write: true });
  const api = srv.client();
  api.bearer = token;
  const list = await api.get('/api/v1/orgs/RAL/alert-contacts?limit=2');
  assert.equal(list.status, 200);
  const body = list.json();
  assert.equal(body.data.length, 2);
  assert.ok(body.page.next, 'more than one page');
  assert.ok(body.data.every((c) => !('secret' in c)));
  const bad = await api.request('POST', '/api/v1/orgs/RAL/alert-contacts', { json: { kind: 'email', address: 'nope' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.field, 'address');
  const made = await api.request('POST', '/api/v1/orgs/RAL/alert-contacts',
    { json: { kind: 'webhook', address: 'https://siem.ral.example.nhs.uk/bulwark', role: 'alerts' } });
  assert.equal(made.status, 201);
  const c = made.json();
  assert.match(c.secret, /^[0-9a-f]{64}$/);
  assert.equal(c.data.kind, 'webhook');
  const gone = await api.request('DELETE', `/api/v1/alert-contacts/${c.data.id}`);
  assert.equal(gone.status, 200);
  assert.equal(gone.json().data.deleted, true);
  const { token: other } = await createToken(inst, demoEmail('org_lead', 'RAN'), { write: true });
  const o = srv.client();
  o.bearer = other;
  assert.equal((await o.get('/api/v1/orgs/RAL/alert-contacts')).status, 404);
});

test('a high-severity alert reaches every contact once: e-mail, signed webhook, and text through Notify', async () => {
  await publish('CC-9001', 9001, 'high_severity_alert', ['RAL', 'RAN']);
  const rows = await inst.sql(`SELECT channel, recipient, idem_key FROM deliveries WHERE advisory_id = 'CC-9001'`);
  const want = rows.map((r) => r.split('\t'));
  const emails = want.filter((w) => w[0] === 'email');
  assert.ok(emails.length >= 3, `${emails.length} e-mails queued`);
  await waitFor('every delivery sent', async () =>
    (await one(`SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-9001' AND state <> 'sent'`)) === '0');
  await waitFor('the sink to hold every e-mail', () => mailsOf('CC-9001').length >= emails.length);
  await sleep(300);
  assert.equal(mailsOf('CC-9001').length, emails.length, 'each once');
  for (const [, to, key] of emails) {
    const got = mailsOf('CC-9001').filter((m) => m.to.includes(to));
    assert.equal(got.length, 1, to);
    assert.equal(got[0].messageId, `<${key}@bulwark.test>`);
    assert.equal(got[0].from, 'alerts@bulwark.test');
    assert.match(got[0].subject, /^High-severity alert CC-9001: Exploited flaw CC-9001 in Example VPN$/);
    assert.match(got[0].raw, /https:\/\/bulwark\.test\/advisories\/CC-9001/);
  }

  // the webhook: body signed with the contact's secret, key in a header
  const hook = callsOf('CC-9001').filter((c) => c.path === '/hook');
  assert.equal(hook.length, 1);
  const sig = createHmac('sha256', webhookSecret).update(hook[0].body).digest('hex');
  assert.equal(hook[0].headers['x-bulwark-signature'], `sha256=${sig}`);
  const hookKey = want.find((w) => w[0] === 'webhook')[2];
  assert.equal(hook[0].headers['idempotency-key'], hookKey);
  const payload = JSON.parse(hook[0].body);
  assert.equal(payload.advisory.id, 'CC-9001');
  assert.equal(payload.organisation.code, 'RAL');
  assert.equal(payload.id, hookKey);

  // Notify: one POST per mobile, reference = key, a JWT Notify would accept
  const sms = want.filter((w) => w[0] === 'sms');
  const notify = callsOf('CC-9001').filter((c) => c.path === '/notify/v2/notifications/sms');
  assert.equal(notify.length, sms.length);
  assert.ok(sms.length >= 2, 'RAL and RAN each have an on-call mobile');
  for (const call of notify) {
    const j = JSON.parse(call.body);
    const row = sms.find((s) => s[1] === j.phone_number);
    assert.ok(row, j.phone_number);
    assert.equal(j.reference, row[2]);
    assert.equal(j.template_id, NOTIFY_TEMPLATE);
    assert.equal(j.personalisation.advisory_id, 'CC-9001');
    const [h, c, s] = call.headers.authorization.replace(/^Bearer /, '').split('.');
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url')), { typ: 'JWT', alg: 'HS256' });
    const claims = JSON.parse(Buffer.from(c, 'base64url'));
    assert.equal(claims.iss, NOTIFY_SERVICE);
    assert.ok(Math.abs(claims.iat - inst.now()) < 60);
    assert.equal(s, createHmac('sha256', NOTIFY_SECRET).update(`${h}.${c}`).digest('base64url'));
  }
});

test('an ordinary alert is not sent by text', async () => {
  await publish('CC-9002', 9002, 'alert', ['RAL']);
  assert.equal(await one(`SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-9002' AND channel = 'sms'`), '0');
  await waitFor('sent', async () =>
    (await one(`SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-9002' AND state <> 'sent'`)) === '0');
  assert.equal(callsOf('CC-9002').filter((c) => c.path.startsWith('/notify/')).length, 0);
  assert.equal(callsOf('CC-9002').filter((c) => c.path === '/hook').length, 1);
});

test('with the mail server down nothing is lost, and everything arrives once when it is back', async () => {
  await sink.close();
  mails.length = 0;
  await publish('CC-9003', 9003, 'bulletin', ['RAL', 'RAN', 'RP6']);
  const n = Number(await one(`SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-9003' AND channel = 'email'`));
  assert.ok(n >= 3);
  await waitFor('attempts against the dead server', async () =>
    (await one(`SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-9003' AND channel = 'email'
      AND state = 'queued' AND attempts >= 1 AND last_error IS NOT NULL`)) === String(n));
  await sleep(1500);
  assert.equal(mails.length, 0, 'nothing got through a closed port');
  assert.equal(await one(`SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-9003' AND state = 'failed'`), '0');
  // back, on the same address; move the clock past the back-off
  sink = await startSink(sinkPort);
  inst.advanceClock(120);
  await waitFor('all e-mails after the outage', async () =>
    (await one(`SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-9003' AND channel = 'email' AND state = 'sent'`)) === String(n),
  60000);
  await sleep(500);
  assert.equal(mailsOf('CC-9003').length, n);
  assert.equal(new Set(mailsOf('CC-9003').map((m) => m.messageId)).size, n, 'each exactly once');
  assert.match(await one(`SELECT recipient FROM deliveries WHERE advisory_id = 'CC-9003' AND channel = 'email' LIMIT 1`), /@/);
  // the lead can see what happened on the contacts page
  const page = await lead.get('/orgs/RAL/alert-contacts');
  assert.match(page.text, /CC-9003 revision 1/);
  assert.match(page.text, />Sent</);
});

test('the servers shut down cleanly', async () => {
  await assertCleanShutdown(inst, assert);
});
