// findings: detection in the platform through the real server. A GP
// practice's lead uploads a real EVTX file from SigmaHQ's regression cases
// and sees the expected rule's finding (with the rule's author) once the
// background scan is done; a log forwarder posts JSON lines with an API
// token (a re-sent event is not a second finding, a bad line is counted as
// damaged, no token / read-only token / another organisation / an oversize
// body are refused and change nothing); findings are triaged on the page
// and through the API (a false positive needs a reason, other organisations
// cannot); analysts alone see the roll-up and manage the rule library, and a
// disabled rule stops firing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail, totp } from '../lib/server.mjs';
import { Client, pageErrors, pageSecret } from '../lib/client.mjs';

const DATA = resolve(process.env.BULWARK_DATA || '../shared/data');
const GRIXBA_ID = 'af688c76-4ce4-4309-bfdd-e896f01acf27';
const GRIXBA = join(DATA, 'detect/sigma-regression/regression_data/rules-emerging-threats/2025/Malware/Grixba',
  `proc_creation_win_malware_grixba_recon/${GRIXBA_ID}`);
const GP = 'E83046';      // a GP practice: the demo gives it no findings of its own
const OTHER = 'RAN';      // a trust in another ICB

let inst;
let srv;
let lead;       // org_lead of GP
let outsider;   // org_lead of OTHER
let analyst;    // national analyst, second factor enrolled
let api;        // GP lead's read-write token
let apiRead;    // GP lead's read-only token

// One event of the Grixba case as a JSON line, on a host of our choosing.
function grixbaLine(host) {
  const ev = JSON.parse(readFileSync(`${GRIXBA}.json`, 'utf8'));
  ev.Event.System.Computer = host;
  return JSON.stringify(ev);
}

async function sqlOne(q) {
  return (await inst.sql(q))[0];
}

async function enrolled(email) {
  const c = srv.client();
  const r = await c.signIn(email, PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/mfa/setup');
  const setup = await c.get('/mfa/setup');
  const secret = pageSecret(setup.text);
  const done = await c.post('/mfa/setup', { code: totp(secret, inst.now()) });
  assert.equal(done.status, 200);
  await c.refreshCsrf('/');
  return c;
}

before(async () => {
  inst = await createInstance('findings');
  srv = inst.server;
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', GP), PASSWORD);
  outsider = srv.client();
  await outsider.signInFull(demoEmail('org_lead', OTHER), PASSWORD);
  analyst = await enrolled(demoEmail('analyst', 'NATIONAL'));
  api = new Client(srv.base);
  api.bearer = (await createToken(inst, demoEmail('org_lead', GP), { write: true, name: 'forwarder' })).token;
  apiRead = new Client(srv.base);
  apiRead.bearer = (await createToken(inst, demoEmail('org_lead', GP), { name: 'reader' })).token;
});
after(async () => {
  await inst?.close();
});

test('the demo trusts have findings, each shown with its rule and the rule author', async () => {
  const c = srv.client();
  await c.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  const r = await c.get('/orgs/RAL/findings');
  assert.equal(r.status, 200);
  const rows = Number(await sqlOne("SELECT count(*) FROM findings f JOIN orgs o ON o.id = f.org_id WHERE o.code = 'RAL'"));
  assert.ok(rows >= 1, 'the demo seeded findings for RAL');
  assert.match(r.text, new RegExp(`${rows} finding`));
  assert.match(r.text, /Rule by [^<]+/);
  const id = await sqlOne("SELECT f.id FROM findings f JOIN orgs o ON o.id = f.org_id WHERE o.code = 'RAL' ORDER BY f.id LIMIT 1");
  const [title, author, uuid] = (await sqlOne(`SELECT r.title, r.author, r.uuid FROM findings f JOIN detect_rules r ON r.id = f.rule_id WHERE f.id = ${id}`)).split('\t');
  const d = await c.get(`/findings/${id}`);
  assert.equal(d.status, 200);
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  assert.ok(d.text.includes(esc(title)), 'rule title');
  assert.ok(d.text.includes(esc(author)), 'rule author (DRL attribution)');
  assert.ok(d.text.includes(uuid), 'rule id');
  assert.match(d.text, /Matched fields/);
  // another organisation's lead cannot open it
  assert.equal((await outsider.get(`/findings/${id}`)).status, 404);
});

test('an uploaded EVTX file is scanned in the background and its finding appears', async () => {
  const page = await lead.get(`/orgs/${GP}/findings/upload`);
  assert.equal(page.status, 200);
  const evtx = readFileSync(`${GRIXBA}.evtx`);
  const r = await lead.upload(`/orgs/${GP}/findings/upload`, 'grixba.evtx', evtx);
  assert.equal(r.status, 303, r.text.slice(0, 500));
  let state;
  for (let i = 0; i < 120; i++) {
    state = await sqlOne(`SELECT u.state || '|' || u.events || '|' || u.findings FROM event_uploads u JOIN orgs o ON o.id = u.org_id WHERE o.code = '${GP}' ORDER BY u.id DESC LIMIT 1`);
    if (/^(done|failed)/.test(state)) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  assert.match(state, /^done\|[1-9]\d*\|1$/, `upload state ${state}`);
  const list = await lead.get(`/orgs/${GP}/findings?rule=${GRIXBA_ID}`);
  assert.equal(list.status, 200);
  assert.match(list.text, /Grixba Malware Reconnaissance Activity/);
  assert.match(list.text, /Rule by yxinmiracle, Swachchhanda Shrawan Poudel \(Nextron Systems\)/);
  assert.match(list.text, /1 finding\b/);
  const up = await lead.get(`/orgs/${GP}/findings/upload`);
  assert.match(up.text, /grixba\.evtx/);
  assert.match(up.text, /Scanned/);
  // nothing of the file is left in the database once scanned
  assert.equal(await sqlOne('SELECT count(*) FROM event_upload_chunks'), '0');
  // an empty upload is refused with a message next to the field
  const empty = await lead.upload(`/orgs/${GP}/findings/upload`, 'empty.evtx', '');
  assert.equal(empty.status, 400);
  assert.equal(pageErrors(empty.text)[0].field, 'file');
  // someone else's organisation: not found, nothing stored
  const before = await sqlOne('SELECT count(*) FROM event_uploads');
  const other = await outsider.upload(`/orgs/${GP}/findings/upload`, 'x.evtx', evtx);
  assert.equal(other.status, 404);
  assert.equal(await sqlOne('SELECT count(*) FROM event_uploads'), before);
});

test('a log forwarder posts JSON lines with a token: findings, duplicates and damaged lines are counted', async () => {
  const body = `${grixbaLine('gp-reception-1')}\n{"broken": \n${JSON.stringify({ message: 'nothing to see' })}\n`;
  const r = await api.request('POST', '/api/v1/events', { body, contentType: 'application/x-ndjson' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().data, { org: GP, accepted: 2, damaged: 1, findings: 1, duplicates: 0 });
  const again = await api.request('POST', '/api/v1/events', { body, contentType: 'application/x-ndjson' });
  assert.deepEqual(again.json().data, { org: GP, accepted: 2, damaged: 1, findings: 0, duplicates: 1 });
  assert.equal(await sqlOne(`SELECT count(*) FROM findings f JOIN orgs o ON o.id = f.org_id WHERE o.code = '${GP}' AND f.host = 'gp-reception-1' AND f.source = 'api'`), '1');
  const list = await api.get(`/api/v1/findings?rule=${GRIXBA_ID}&host=gp-reception`);
  assert.equal(list.status, 200);
  const data = list.json().data;
  assert.equal(data.length, 1);
  assert.equal(data[0].rule.id, GRIXBA_ID);
  assert.match(data[0].rule.author, /Swachchhanda/);
  assert.equal(data[0].level, 'high');
  assert.ok(data[0].tags.includes('attack.t1046'));
  const one = await api.get(`/api/v1/findings/${data[0].id}`);
  assert.ok(one.json().data.fields.some((f) => f.name === 'CommandLine' && /-m:scan/.test(f.value)));
});

test('events are refused without a token, with a read-only token, for another organisation, and when too large', async () => {
  const count = () => sqlOne('SELECT count(*) FROM findings');
  const before = await count();
  const line = grixbaLine('refused-host');
  const anon = new Client(srv.base);
  assert.equal((await anon.request('POST', '/api/v1/events', { body: line })).status, 401);
  assert.equal((await apiRead.request('POST', '/api/v1/events', { body: line })).status, 403);
  const other = await api.request('POST', `/api/v1/events?org=${OTHER}`, { body: line });
  assert.equal(other.status, 404);
  assert.equal(other.json().error.field, 'org');
  const big = await api.request('POST', '/api/v1/events', { body: `${line}\n${'x'.repeat(1024 * 1024 + 10)}` });
  assert.equal(big.status, 413);
  const many = await api.request('POST', '/api/v1/events', { body: '{}\n'.repeat(10001) });
  assert.equal(many.status, 413);
  assert.equal(many.json().error.field, 'body');
  assert.equal(await count(), before, 'nothing was stored');
  // a member of one's own subtree may be named: the ICS lead sends for a trust of the ICS
  const ics = new Client(srv.base);
  ics.bearer = (await createToken(inst, demoEmail('ics_lead', 'QMJ'), { write: true, name: 'ics-forwarder' })).token;
  const member = await ics.request('POST', '/api/v1/events?org=RAL', { body: grixbaLine('ral-ward-9') });
  assert.equal(member.status, 200, member.text);
  assert.equal(member.json().data.org, 'RAL');
  assert.equal(member.json().data.findings, 1);
});

test('triage: a false positive needs a reason; the state, who and when are kept and audited', async () => {
  const id = await sqlOne(`SELECT f.id FROM findings f JOIN orgs o ON o.id = f.org_id WHERE o.code = '${GP}' ORDER BY f.id LIMIT 1`);
  await lead.get(`/findings/${id}`);
  const bad = await lead.post(`/findings/${id}/triage`, { state: 'false_positive', note: '' });
  assert.equal(bad.status, 400);
  assert.equal(pageErrors(bad.text)[0].field, 'note');
  assert.equal(await sqlOne(`SELECT state FROM findings WHERE id = ${id}`), 'new');
  const ok = await lead.post(`/findings/${id}/triage`, { state: 'false_positive', note: 'Our IT supplier testing' });
  assert.equal(ok.status, 303);
  assert.equal(await sqlOne(`SELECT state || '|' || state_by || '|' || state_note FROM findings WHERE id = ${id}`),
    `false_positive|${demoEmail('org_lead', GP)}|Our IT supplier testing`);
  assert.equal(await sqlOne(`SELECT count(*) FROM audit WHERE action = 'finding.triage' AND object = 'finding:${id}'`), '1');
  const shown = await lead.get(`/orgs/${GP}/findings?state=false_positive`);
  assert.match(shown.text, /False positive/);
  // another organisation's lead cannot triage it
  const out = await outsider.post(`/findings/${id}/triage`, { state: 'escalated' });
  assert.equal(out.status, 404);
  assert.equal(await sqlOne(`SELECT state FROM findings WHERE id = ${id}`), 'false_positive');
  // through the API
  const esc = await api.request('POST', `/api/v1/findings/${id}/triage`, { json: { state: 'escalated', note: 'Passed to the incident lead' } });
  assert.equal(esc.status, 200, esc.text);
  assert.equal(esc.json().data.state, 'escalated');
  const wrong = await api.request('POST', `/api/v1/findings/${id}/triage`, { json: { state: 'closed' } });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.json().error.field, 'state');
});

test('the CSV export carries the rule author and honours the filters', async () => {
  const r = await lead.get(`/orgs/${GP}/findings.csv?level=high`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/csv/);
  const lines = r.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.match(lines[0], /rule_author/);
  assert.ok(lines.length >= 3, r.text);
  assert.ok(lines.slice(1).every((l) => l.includes(',high,')), r.text);
  const none = await lead.get(`/orgs/${GP}/findings.csv?level=critical`);
  assert.equal(none.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/).length, 1);
});

test('the roll-up and the rule library are for analysts only', async () => {
  for (const path of ['/findings/rollup', '/detect/rules']) {
    assert.equal((await lead.get(path)).status, 403, path);
  }
  assert.equal((await api.get('/api/v1/detect/rules')).status, 403);
  const r = await analyst.get('/findings/rollup');
  assert.equal(r.status, 200);
  assert.match(r.text, /Grixba Malware Reconnaissance Activity/);
  const rid = await sqlOne(`SELECT id FROM detect_rules WHERE uuid = '${GRIXBA_ID}'`);
  const drill = await analyst.get(`/findings/rollup?rule=${rid}`);
  assert.equal(drill.status, 200);
  assert.match(drill.text, new RegExp(`/orgs/${GP}/findings\\?rule=${GRIXBA_ID}`));
  const lib = await analyst.get('/detect/rules?q=grixba');
  assert.equal(lib.status, 200);
  assert.match(lib.text, /Grixba Malware Reconnaissance Activity/);
  assert.match(lib.text, /1 rule\b/);
});

test('an analyst disables a rule and it stops firing; enabling it brings it back', async () => {
  const rid = await sqlOne(`SELECT id FROM detect_rules WHERE uuid = '${GRIXBA_ID}'`);
  const hits = Number(await sqlOne(`SELECT hits FROM detect_rules WHERE id = ${rid}`));
  assert.ok(hits >= 3, `hit count ${hits}`);
  await analyst.get(`/detect/rules/${rid}`);
  // an organisation lead cannot
  await lead.refreshCsrf('/');
  assert.equal((await lead.post(`/detect/rules/${rid}/enabled`, { enabled: '0' })).status, 403);
  const off = await analyst.post(`/detect/rules/${rid}/enabled`, { enabled: '0' });
  assert.equal(off.status, 303);
  const r1 = await api.request('POST', '/api/v1/events', { body: grixbaLine('after-disable') });
  assert.equal(r1.json().data.findings, 0);
  await analyst.get(`/detect/rules/${rid}`);
  assert.equal((await analyst.post(`/detect/rules/${rid}/enabled`, { enabled: '1' })).status, 303);
  const r2 = await api.request('POST', '/api/v1/events', { body: grixbaLine('after-enable') });
  assert.equal(r2.json().data.findings, 1);
  assert.equal(await sqlOne("SELECT count(*) FROM audit WHERE action IN ('detect.rule.disable', 'detect.rule.enable')"), '2');
});

test('an analyst imports a rule file; a rule the engine refuses is listed with its reason', async () => {
  await analyst.get('/detect/rules');
  const fd = new FormData();
  fd.append('csrf_token', analyst.csrf);
  fd.append('file', new Blob(['title: Broken on purpose\nid: 0badbad0-0000-4000-8000-000000000001\nauthor: Test\n'
    + 'logsource:\n  product: windows\ndetection:\n  sel:\n    Image: x\n  condition: sel and missing\nlevel: low\n']), 'broken.yml');
  const r = await analyst.request('POST', '/detect/rules/import', { body: fd });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.match(r.text, /1 refused by the engine/);
  const list = await analyst.get('/detect/rules?show=refused');
  assert.match(list.text, /Broken on purpose/);
  assert.match(list.text, /Refused/);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
