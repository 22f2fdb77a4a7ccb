// systems: the critical systems register through the real server — an
// organisation lead adds a system, a backup, a restore test and a
// dependency and watches the computed gaps change; corrects a backup and a
// restore test in place (page and API); hostile input is refused
// naming the field and changes nothing; CSV exports are safe from formula
// injection; the JSON API does the same as the pages; an ICS lead reads the
// gaps roll-up and drills down; nobody reaches another organisation's
// systems; staff may look but not change.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  Client, PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail,
} from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

let inst;
let srv;
let lead;       // org_lead of RAL (Royal Free), signed in
let api;        // read-write token of the same person
before(async () => {
  inst = await createInstance('systems');
  srv = inst.server;
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'), { write: true, name: 'systems-test' });
  api = new Client(srv.base);
  api.bearer = token;
});
after(async () => {
  await inst?.close();
});

const count = async (sql) => Number((await inst.sql(sql))[0]);
const ralSystems = "SELECT count(*) FROM systems s JOIN orgs o ON o.id = s.org_id WHERE o.code = 'RAL'";

// "19 11 2026": a date n days before the server's today, as a person types it
function daysAgo(n) {
  const d = new Date((inst.now() - n * 86400) * 1000);
  return `${d.getUTCDate()} ${d.getUTCMonth() + 1} ${d.getUTCFullYear()}`;
}

function systemForm(over = {}) {
  return {
    name: 'Maternity system (BadgerNet)', essential_function: 'Maternity records from booking to birth',
    tier: '1', owner: 'Digital midwife', hosting: 'supplier_hosted', supplier: '', rto_hours: '4',
    rpo_hours: '1', downtime_procedure: 'Paper maternity notes in the delivery suite office', status: 'in_service',
    ...over,
  };
}

function jsonError(r, status) {
  assert.equal(r.status, status, r.text);
  const e = r.json().error;
  assert.ok(e && e.message, r.text);
  return e;
}

test('the hub: /registers leads to the organisation\'s registers with its systems and gaps', async () => {
  const r = await lead.get('/registers');
  assert.equal(r.status, 303);
  assert.equal(r.location, '/orgs/RAL/registers');
  const hub = await lead.get('/orgs/RAL/registers');
  assert.equal(hub.status, 200);
  assert.match(hub.text, /<h1>Registers<\/h1>/);
  assert.match(hub.text, /Systems recorded/);
  assert.match(hub.text, /Electronic patient record/);
  const home = await lead.get('/');
  assert.match(home.text, /href="\/registers"/);
  assert.match(home.text, /\d+ tier 1 systems? in view; \d+ with a gap to close/);
  // every module's card, with the counts of this organisation
  const [open] = await inst.sql("SELECT count(*) FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
    + " WHERE o.code = 'RAL' AND r.closed_at IS NULL");
  assert.match(home.text, new RegExp(`>${open} alerts? waiting for a response; \\d+ overdue<`));
  const [exposed] = await inst.sql("SELECT count(*) FROM exposures x JOIN orgs o ON o.id = x.org_id"
    + " WHERE o.code = 'RAL' AND x.gone_at IS NULL");
  assert.match(home.text, new RegExp(`>${exposed} known vulnerabilit(y|ies) in your software; \\d+ known to be exploited<`));
  assert.match(home.text, /\d+ new findings? from your event logs/);
  assert.doesNotMatch(home.text, /Coming later/);
});

test('a system with hostile input is refused, every bad field named, and nothing is added', async () => {
  const before = await count(ralSystems);
  await lead.get('/orgs/RAL/systems/new');
  const r = await lead.post('/orgs/RAL/systems', systemForm({
    name: '', tier: '9', rto_hours: 'four', hosting: 'under the desk', downtime_procedure: 'x'.repeat(4001),
  }));
  assert.equal(r.status, 400);
  const fields = pageErrors(r.text).map((e) => e.field);
  assert.deepEqual(fields, ['name', 'tier', 'hosting', 'rto_hours', 'downtime_procedure']);
  assert.match(r.text, /Enter name/);
  assert.match(r.text, /Recovery time objective \(hours\) must be a whole number/);
  assert.equal(await count(ralSystems), before);
  // a name the organisation already uses
  const dup = await lead.post('/orgs/RAL/systems', systemForm({ name: 'electronic patient record' }));
  assert.equal(dup.status, 400);
  assert.deepEqual(pageErrors(dup.text).map((e) => e.field), ['name']);
  assert.equal(await count(ralSystems), before);
});

let sysId;
test('adding a system, a backup, a restore test and a dependency: the gaps follow what is recorded', async () => {
  const r = await lead.post('/orgs/RAL/systems', systemForm());
  assert.equal(r.status, 303, r.text.slice(0, 2000));
  sysId = Number(/^\/systems\/(\d+)$/.exec(r.location)[1]);
  let page = await lead.get(r.location);
  assert.equal(page.status, 200);
  assert.match(page.text, /System added/);
  assert.match(page.text, /No off-line backup/);
  assert.match(page.text, /Never successfully restored/);
  assert.equal(await count(`SELECT count(*) FROM audit WHERE action = 'system.create' AND object = 'system:${sysId}'`), 1);

  let b = await lead.post(`/systems/${sysId}/backups`, { method: 'Nightly snapshot', frequency: 'daily', location: 'Supplier data centre' });
  assert.equal(b.status, 303);
  page = await lead.get(`/systems/${sysId}`);
  assert.match(page.text, /No off-line backup/, 'an on-line copy does not close the gap');
  b = await lead.post(`/systems/${sysId}/backups`, { method: 'Weekly tape', frequency: 'weekly', offline: '1', location: 'Tape safe' });
  assert.equal(b.status, 303);
  page = await lead.get(`/systems/${sysId}`);
  assert.doesNotMatch(page.text, /No off-line backup/);

  // a restore test dated in the future, and one that is not a date, are refused
  for (const bad of [daysAgo(-3), '31 2 2026', 'last Tuesday']) {
    const t = await lead.post(`/systems/${sysId}/restore-tests`, { tested_on: bad, result: 'success', minutes: '60' });
    assert.equal(t.status, 400, bad);
    assert.deepEqual(pageErrors(t.text).map((e) => e.field), ['tested_on'], bad);
  }
  assert.equal(await count(`SELECT count(*) FROM restore_tests WHERE system_id = ${sysId}`), 0);
  // a successful test long ago is out of date; a recent slow one exceeds the RTO
  let t = await lead.post(`/systems/${sysId}/restore-tests`, { tested_on: daysAgo(400), result: 'success', minutes: '60' });
  assert.equal(t.status, 303);
  page = await lead.get(`/systems/${sysId}`);
  assert.match(page.text, /Restore test out of date/);
  t = await lead.post(`/systems/${sysId}/restore-tests`, { tested_on: daysAgo(10), result: 'success', minutes: '300' });
  assert.equal(t.status, 303);
  page = await lead.get(`/systems/${sysId}`);
  assert.doesNotMatch(page.text, /Restore test out of date/);
  assert.match(page.text, /Restore slower than the RTO/);
  t = await lead.post(`/systems/${sysId}/restore-tests`, { tested_on: daysAgo(2), result: 'success', minutes: '90' });
  assert.equal(t.status, 303);
  page = await lead.get(`/systems/${sysId}`);
  assert.match(page.text, /No gaps found/);

  // dependencies: on the trust's Active Directory and on a location
  const ad = (await inst.sql("SELECT s.id FROM systems s JOIN orgs o ON o.id = s.org_id WHERE o.code = 'RAL' AND s.name = 'Active Directory'"))[0];
  let d = await lead.post(`/systems/${sysId}/dependencies`, { kind: 'system', on_system: ad, note: 'Staff sign-in' });
  assert.equal(d.status, 303);
  d = await lead.post(`/systems/${sysId}/dependencies`, { kind: 'location', location: '' });
  assert.equal(d.status, 400);
  assert.deepEqual(pageErrors(d.text).map((e) => e.field), ['location']);
  d = await lead.post(`/systems/${sysId}/dependencies`, { kind: 'location', location: 'Main data centre' });
  assert.equal(d.status, 303);
  const graph = await lead.get('/orgs/RAL/systems/dependencies');
  assert.equal(graph.status, 200);
  assert.match(graph.text, /<svg[^>]*role="img"/);
  assert.match(graph.text, /Maternity system \(BadgerNet\)/);
  // Active Directory was already a single point of failure; now one more tier-1 system leans on it
  assert.match(graph.text, /Active Directory<\/a><\/td>\s*<td[^>]*>System<\/td>\s*<td[^>]*>\d+/);
  assert.equal(await count(`SELECT count(*) FROM audit WHERE object = 'system:${sysId}'`), 8);
});

test('a backup and a restore test are corrected in place: the gaps follow, the audit says what changed', async () => {
  const offId = (await inst.sql(`SELECT id FROM system_backups WHERE system_id = ${sysId} AND offline = 1`))[0];
  let page = await lead.get(`/systems/${sysId}`);
  assert.match(page.text, new RegExp(`href="/systems/${sysId}/backups/${offId}/edit">Edit<span class="nhsuk-u-visually-hidden"> backup: Weekly tape`));
  assert.match(page.text, new RegExp(`href="/systems/${sysId}/restore-tests/\\d+/edit">Edit`));
  const form = await lead.get(`/systems/${sysId}/backups/${offId}/edit`);
  assert.equal(form.status, 200);
  assert.match(form.text, /<h1>Change backup<\/h1>/);
  assert.match(form.text, /id="method" name="method"[^>]*value="Weekly tape"/);
  assert.match(form.text, /id="offline" name="offline" type="checkbox" value="1" checked/);
  assert.match(form.text, /<option value="weekly" selected>/);
  const backups = await count(`SELECT count(*) FROM system_backups WHERE system_id = ${sysId}`);

  // without the session's CSRF token nothing changes
  const forged = await lead.post(`/systems/${sysId}/backups/${offId}/edit`, { method: 'Weekly tape', frequency: 'weekly', location: 'Forged' }, { csrf: false });
  assert.equal(forged.status, 403);
  // bad input: the error summary names each field, and nothing changes
  const bad = await lead.post(`/systems/${sysId}/backups/${offId}/edit`, { method: '', frequency: 'yearly', offline: '1', location: 'Tape safe' });
  assert.equal(bad.status, 400);
  assert.deepEqual(pageErrors(bad.text).map((e) => e.field), ['method', 'frequency']);
  assert.match(bad.text, /Enter how it is backed up/);
  assert.match(bad.text, /<h1>Change backup<\/h1>/);
  assert.deepEqual(await inst.sql(`SELECT method || '|' || frequency || '|' || offline || '|' || location FROM system_backups WHERE id = ${offId}`),
    ['Weekly tape|weekly|1|Tape safe']);

  // the off-line flag was ticked by mistake: unticking it opens the gap
  const r = await lead.post(`/systems/${sysId}/backups/${offId}/edit`, { method: 'Weekly tape', frequency: 'weekly', location: 'Tape safe, estates building' });
  assert.equal(r.status, 303, r.text.slice(0, 2000));
  assert.equal(r.location, `/systems/${sysId}#backups`);
  page = await lead.get(`/systems/${sysId}`);
  assert.match(page.text, /Backup changed/);
  assert.match(page.text, /No off-line backup/);
  assert.match(page.text, /Tape safe, estates building/);
  assert.equal(await count(`SELECT count(*) FROM system_backups WHERE system_id = ${sysId}`), backups, 'changed, not added');
  const summary = (await inst.sql(`SELECT summary FROM audit WHERE action = 'system.backup.update' AND object = 'system:${sysId}' ORDER BY id DESC LIMIT 1`))[0];
  assert.match(summary, /off-line copy: yes → no/);
  assert.match(summary, /where it is kept: "Tape safe" → "Tape safe, estates building"/);
  assert.equal(await count(`SELECT has_offline FROM systems WHERE id = ${sysId}`), 0);

  // the newest restore test: a date that is not a date changes nothing
  const rt = (await inst.sql(`SELECT id FROM restore_tests WHERE system_id = ${sysId} ORDER BY tested_on DESC LIMIT 1`))[0];
  const rform = await lead.get(`/systems/${sysId}/restore-tests/${rt}/edit`);
  assert.equal(rform.status, 200);
  assert.match(rform.text, /<h1>Change restore test<\/h1>/);
  assert.match(rform.text, /id="minutes" name="minutes"[^>]*value="90"/);
  const before = await inst.sql(`SELECT tested_on || '|' || minutes FROM restore_tests WHERE id = ${rt}`);
  for (const when of ['31 2 2026', daysAgo(-3)]) {
    const t = await lead.post(`/systems/${sysId}/restore-tests/${rt}/edit`, { tested_on: when, result: 'success', minutes: '95' });
    assert.equal(t.status, 400, when);
    assert.deepEqual(pageErrors(t.text).map((e) => e.field), ['tested_on'], when);
    assert.match(t.text, /Date of the test must be/);
  }
  assert.deepEqual(await inst.sql(`SELECT tested_on || '|' || minutes FROM restore_tests WHERE id = ${rt}`), before);
  // it took 250 minutes, not 90: slower than the 4-hour objective
  const t = await lead.post(`/systems/${sysId}/restore-tests/${rt}/edit`, { tested_on: daysAgo(2), result: 'success', minutes: '250' });
  assert.equal(t.status, 303, t.text.slice(0, 2000));
  page = await lead.get(`/systems/${sysId}`);
  assert.match(page.text, /Restore test changed/);
  assert.match(page.text, /Restore slower than the RTO/);
  const rsum = (await inst.sql(`SELECT summary FROM audit WHERE action = 'system.restore_test.update' AND object = 'system:${sysId}'`))[0];
  assert.match(rsum, /time taken: 90 minutes → 250 minutes/);
});

test('the API changes a backup and a restore test, naming the field it refuses', async () => {
  const offId = (await inst.sql(`SELECT id FROM system_backups WHERE system_id = ${sysId} AND method = 'Weekly tape'`))[0];
  const rt = (await inst.sql(`SELECT id FROM restore_tests WHERE system_id = ${sysId} ORDER BY tested_on DESC LIMIT 1`))[0];
  let e = jsonError(await api.request('PUT', `/api/v1/systems/${sysId}/backups/${offId}`, { json: { frequency: 'yearly' } }), 400);
  assert.equal(e.field, 'frequency');
  e = jsonError(await api.request('PUT', `/api/v1/systems/${sysId}/backups/${offId}`, { json: { colour: 'red' } }), 400);
  assert.equal(e.field, 'colour');
  e = jsonError(await api.request('PUT', `/api/v1/systems/${sysId}/restore-tests/${rt}`, { json: { tested_on: '2199-01-01' } }), 400);
  assert.equal(e.field, 'tested_on');
  e = jsonError(await api.request('PUT', `/api/v1/systems/${sysId}/restore-tests/${rt}`, { json: { minutes: -4 } }), 400);
  assert.equal(e.field, 'minutes');
  assert.equal(await count(`SELECT minutes FROM restore_tests WHERE id = ${rt}`), 250);

  let r = await api.request('PUT', `/api/v1/systems/${sysId}/backups/${offId}`, { json: { offline: true } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().data.id, Number(offId));
  assert.equal(r.json().data.offline, true);
  assert.equal(r.json().data.method, 'Weekly tape', 'members left out keep their values');
  assert.equal(r.json().data.location, 'Tape safe, estates building');
  r = await api.request('PUT', `/api/v1/systems/${sysId}/restore-tests/${rt}`, { json: { minutes: 95, notes: 'Timed again' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().data.minutes, 95);
  assert.equal(r.json().data.notes, 'Timed again');
  assert.equal(r.json().data.result, 'success');
  assert.deepEqual((await api.get(`/api/v1/systems/${sysId}`)).json().data.gaps, []);

  // another system's item, even of the same organisation, is not found through this one
  const [eprBk] = await inst.sql(`SELECT b.id FROM system_backups b JOIN systems s ON s.id = b.system_id JOIN orgs o ON o.id = s.org_id
    WHERE o.code = 'RAL' AND s.id <> ${sysId} ORDER BY b.id LIMIT 1`);
  const [eprRt] = await inst.sql(`SELECT r.id FROM restore_tests r JOIN systems s ON s.id = r.system_id JOIN orgs o ON o.id = s.org_id
    WHERE o.code = 'RAL' AND s.id <> ${sysId} ORDER BY r.id LIMIT 1`);
  const was = await inst.sql(`SELECT location FROM system_backups WHERE id = ${eprBk}`);
  assert.equal((await api.request('PUT', `/api/v1/systems/${sysId}/backups/${eprBk}`, { json: { location: 'Moved' } })).status, 404);
  assert.equal((await api.request('PUT', `/api/v1/systems/${sysId}/restore-tests/${eprRt}`, { json: { minutes: 1 } })).status, 404);
  assert.equal((await lead.get(`/systems/${sysId}/backups/${eprBk}/edit`)).status, 404);
  assert.equal((await lead.post(`/systems/${sysId}/restore-tests/${eprRt}/edit`, { tested_on: daysAgo(1), result: 'failed' })).status, 404);
  assert.deepEqual(await inst.sql(`SELECT location FROM system_backups WHERE id = ${eprBk}`), was);
});

test('the list filters by gap and tier, and the CSV export cannot run formulas', async () => {
  const evil = '=HYPERLINK("http://evil.example","click")';
  const r = await lead.post('/orgs/RAL/systems', systemForm({ name: evil, tier: '3', downtime_procedure: '' }));
  assert.equal(r.status, 303);
  const list = await lead.get('/orgs/RAL/systems?gap=no_downtime_procedure&tier=3');
  assert.equal(list.status, 200);
  assert.match(list.text, /=HYPERLINK\(&quot;http:\/\/evil.example&quot;/);
  assert.doesNotMatch(list.text, /Electronic patient record/, 'a tier 1 system is filtered out');
  const csv = await lead.get('/orgs/RAL/systems.csv');
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  assert.match(csv.headers.get('content-disposition'), /attachment/);
  assert.ok(csv.text.includes(`"'=HYPERLINK(""http://evil.example"",""click"")"`), csv.text.slice(0, 600));
  assert.ok(!/(^|,)=HYPERLINK/m.test(csv.text), 'no cell starts with =');
  assert.match(csv.text, /Maternity system \(BadgerNet\)/);
});

test('the API: create, read, change, sub-resources and delete, with errors naming the field', async () => {
  let e = jsonError(await api.request('POST', '/api/v1/orgs/RAL/systems', { json: { name: 'Bad', essential_function: 'x', tier: 7, hosting: 'cloud', status: 'in_service' } }), 400);
  assert.equal(e.field, 'tier');
  e = jsonError(await api.request('POST', '/api/v1/orgs/RAL/systems', { json: { name: 'Bad', essential_function: 'x', tier: 1, hosting: 'cloud', status: 'in_service', colour: 'red' } }), 400);
  assert.equal(e.field, 'colour');
  e = jsonError(await api.request('POST', '/api/v1/orgs/RAL/systems', { json: { name: ['x'] } }), 400);
  assert.equal(e.field, 'name');
  e = jsonError(await api.request('POST', '/api/v1/orgs/RAL/systems', { body: '{"name":', contentType: 'application/json' }), 400);
  assert.equal(await count("SELECT count(*) FROM systems WHERE name = 'Bad'"), 0);

  const c = await api.request('POST', '/api/v1/orgs/RAL/systems', {
    json: { name: 'Blood bank (API)', essential_function: 'Blood products for transfusion', tier: 1, hosting: 'on_premises', status: 'in_service', rto_hours: 2 },
  });
  assert.equal(c.status, 201, c.text);
  const sys = c.json().data;
  assert.equal(sys.org, 'RAL');
  assert.equal(sys.tier, 1);
  assert.deepEqual(sys.gaps, ['no_offline_backup', 'no_restore_test', 'no_downtime_procedure']);

  const put = await api.request('PUT', `/api/v1/systems/${sys.id}`, { json: { downtime_procedure: 'Paper request forms', status: 'being_replaced' } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json().data.name, 'Blood bank (API)', 'members left out keep their values');
  assert.equal(put.json().data.status, 'being_replaced');
  assert.deepEqual(put.json().data.gaps, ['no_offline_backup', 'no_restore_test']);
  e = jsonError(await api.request('PUT', `/api/v1/systems/${sys.id}`, { json: { rpo_hours: -1 } }), 400);
  assert.equal(e.field, 'rpo_hours');

  let r = await api.request('POST', `/api/v1/systems/${sys.id}/backups`, { json: { method: 'Tape', frequency: 'daily', offline: true, immutable: false, location: 'Safe' } });
  assert.equal(r.status, 201, r.text);
  const backupId = r.json().data.id;
  e = jsonError(await api.request('POST', `/api/v1/systems/${sys.id}/restore-tests`, { json: { tested_on: '2199-01-01', result: 'success' } }), 400);
  assert.equal(e.field, 'tested_on');
  r = await api.request('POST', `/api/v1/systems/${sys.id}/restore-tests`, { json: { tested_on: daysAgo(1), result: 'success', minutes: 45, backup: backupId } });
  assert.equal(r.status, 201, r.text);
  const got = await api.get(`/api/v1/systems/${sys.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.json().data.gaps, []);
  assert.equal(got.json().backups.length, 1);
  assert.equal(got.json().restore_tests[0].backup, backupId);

  const list = await api.get('/api/v1/orgs/RAL/systems?gap=any&limit=2');
  assert.equal(list.status, 200);
  assert.equal(list.json().data.length, 2);
  assert.ok(list.json().page.next);
  assert.ok(list.json().data.every((s) => s.gaps.length > 0));
  assert.equal(jsonError(await api.get('/api/v1/orgs/RAL/systems?tier=9'), 400).field, 'tier');

  r = await api.request('DELETE', `/api/v1/systems/${sys.id}/backups/${backupId}`);
  assert.equal(r.status, 200);
  assert.deepEqual((await api.get(`/api/v1/systems/${sys.id}`)).json().data.gaps, ['no_offline_backup']);
  r = await api.request('DELETE', `/api/v1/systems/${sys.id}`);
  assert.equal(r.status, 200);
  assert.equal((await api.get(`/api/v1/systems/${sys.id}`)).status, 404);
  assert.equal(await count(`SELECT count(*) FROM restore_tests WHERE system_id = ${sys.id}`), 0);
});

test('deleting a system asks first, then takes its backups, tests, dependencies and software with it', async () => {
  const id = (await inst.sql("SELECT s.id FROM systems s JOIN orgs o ON o.id = s.org_id WHERE o.code = 'RAL' AND s.name = 'Theatre management'"))[0];
  const comps = await count(`SELECT count(*) FROM components WHERE system_id = ${id}`);
  assert.ok(comps > 0, 'the demo gave it software components');
  const confirm = await lead.get(`/systems/${id}/delete`);
  assert.equal(confirm.status, 200);
  assert.match(confirm.text, /Delete Theatre management\?/);
  const r = await lead.post(`/systems/${id}/delete`, {});
  assert.equal(r.status, 303);
  assert.equal(r.location, '/orgs/RAL/systems');
  assert.equal(await count(`SELECT count(*) FROM systems WHERE id = ${id}`), 0);
  assert.equal(await count(`SELECT count(*) FROM components WHERE system_id = ${id}`), 0);
  assert.equal(await count(`SELECT count(*) FROM system_deps WHERE system_id = ${id} OR on_system_id = ${id}`), 0);
  const summary = (await inst.sql(`SELECT summary FROM audit WHERE action = 'system.delete' AND object = 'system:${id}'`))[0];
  assert.match(summary, new RegExp(`${comps} software components`));
  assert.equal((await lead.get(`/systems/${id}`)).status, 404);
});

test('another organisation\'s systems answer 404 to pages and API, and stay as they were', async () => {
  const ran = (await inst.sql("SELECT s.id FROM systems s JOIN orgs o ON o.id = s.org_id WHERE o.code = 'RAN' ORDER BY s.id LIMIT 1"))[0];
  const before = await inst.sql(`SELECT name || '|' || tier || '|' || status FROM systems WHERE id = ${ran}`);
  assert.equal((await lead.get(`/systems/${ran}`)).status, 404);
  assert.equal((await lead.post(`/systems/${ran}/edit`, systemForm({ name: 'Taken over' }))).status, 404);
  assert.equal((await lead.post(`/systems/${ran}/delete`, {})).status, 404);
  assert.equal((await api.request('PUT', `/api/v1/systems/${ran}`, { json: { name: 'Taken over' } })).status, 404);
  assert.equal((await api.request('DELETE', `/api/v1/systems/${ran}`)).status, 404);
  assert.equal((await lead.get('/orgs/RAN/systems')).status, 404);
  assert.equal((await lead.get('/orgs/QMJ/gaps')).status, 404);
  // nor their backups and restore tests, by page or API
  const [ranSys] = await inst.sql(`SELECT s.id FROM systems s JOIN orgs o ON o.id = s.org_id WHERE o.code = 'RAN'
    AND EXISTS (SELECT 1 FROM system_backups b WHERE b.system_id = s.id)
    AND EXISTS (SELECT 1 FROM restore_tests r WHERE r.system_id = s.id) ORDER BY s.id LIMIT 1`);
  assert.ok(ranSys, 'the demo gave a RAN system a backup and a restore test');
  const [ranBk] = await inst.sql(`SELECT id FROM system_backups WHERE system_id = ${ranSys} ORDER BY id LIMIT 1`);
  const [ranRt] = await inst.sql(`SELECT id FROM restore_tests WHERE system_id = ${ranSys} ORDER BY id LIMIT 1`);
  const items = `SELECT (SELECT location || '|' || offline FROM system_backups WHERE id = ${ranBk}) || '|' ||
    (SELECT tested_on || '|' || result FROM restore_tests WHERE id = ${ranRt})`;
  const itemsBefore = await inst.sql(items);
  assert.equal((await lead.get(`/systems/${ranSys}/backups/${ranBk}/edit`)).status, 404);
  assert.equal((await lead.post(`/systems/${ranSys}/backups/${ranBk}/edit`, { method: 'x', frequency: 'daily', location: 'Taken' })).status, 404);
  assert.equal((await lead.get(`/systems/${ranSys}/restore-tests/${ranRt}/edit`)).status, 404);
  assert.equal((await lead.post(`/systems/${ranSys}/restore-tests/${ranRt}/edit`, { tested_on: daysAgo(1), result: 'failed' })).status, 404);
  // an own system's id in the path does not open another organisation's item
  assert.equal((await lead.get(`/systems/${sysId}/backups/${ranBk}/edit`)).status, 404);
  assert.equal((await lead.post(`/systems/${sysId}/restore-tests/${ranRt}/edit`, { tested_on: daysAgo(1), result: 'failed' })).status, 404);
  assert.equal((await api.request('PUT', `/api/v1/systems/${ranSys}/backups/${ranBk}`, { json: { offline: false } })).status, 404);
  assert.equal((await api.request('PUT', `/api/v1/systems/${ranSys}/restore-tests/${ranRt}`, { json: { result: 'failed' } })).status, 404);
  assert.deepEqual(await inst.sql(items), itemsBefore);
  // a dependency on another organisation's system is refused too
  await lead.get(`/systems/${sysId}/dependencies/new`);
  const d = await lead.post(`/systems/${sysId}/dependencies`, { kind: 'system', on_system: ran });
  assert.equal(d.status, 400);
  assert.deepEqual(pageErrors(d.text).map((e) => e.field), ['on_system']);
  assert.deepEqual(await inst.sql(`SELECT name || '|' || tier || '|' || status FROM systems WHERE id = ${ran}`), before);
});

test('staff may read the register but not change it', async () => {
  const staff = srv.client();
  await staff.signInFull(demoEmail('staff', 'RAL'), PASSWORD);
  assert.equal((await staff.get(`/systems/${sysId}`)).status, 200);
  assert.doesNotMatch((await staff.get(`/systems/${sysId}`)).text, /Add a backup/);
  assert.doesNotMatch((await staff.get(`/systems/${sysId}`)).text, /\/edit">Edit/);
  const bk = (await inst.sql(`SELECT id FROM system_backups WHERE system_id = ${sysId} ORDER BY id LIMIT 1`))[0];
  assert.equal((await staff.get(`/systems/${sysId}/backups/${bk}/edit`)).status, 403);
  assert.equal((await staff.get('/orgs/RAL/systems/new')).status, 403);
  const before = await count(ralSystems);
  assert.equal((await staff.post('/orgs/RAL/systems', systemForm({ name: 'By staff' }))).status, 403);
  assert.equal(await count(ralSystems), before);
});

test('the ICS lead sees each member\'s tier-1 gaps, drills down, and exports them; the numbers agree', async () => {
  const ics = srv.client();
  await ics.signInFull(demoEmail('ics_lead', 'QMJ'), PASSWORD);
  const r = await ics.get('/orgs/QMJ/gaps');
  assert.equal(r.status, 200);
  assert.match(r.text, /Royal Free London NHS Foundation Trust/);
  assert.match(r.text, /Mulberry Medical Practice/);
  assert.doesNotMatch(r.text, /Royal National Orthopaedic/, 'another ICS\'s trust is not listed');
  assert.match(r.text, /href="\/orgs\/RAL\/registers"/);
  const j = await ics.get('/api/v1/orgs/QMJ/gaps');
  assert.equal(j.status, 200);
  const data = j.json().data;
  const ral = data.members.find((m) => m.org === 'RAL');
  const expected = await count(`SELECT count(*) FROM systems s JOIN orgs o ON o.id = s.org_id
    WHERE o.code = 'RAL' AND s.tier = 1 AND s.has_offline = 0`);
  assert.equal(ral.gaps.no_offline_backup, expected);
  const sum = data.members.reduce((n, m) => n + m.gaps.tier1_systems, 0) + data.itself.tier1_systems;
  assert.equal(data.subtree.tier1_systems, sum);
  const csv = await ics.get('/orgs/QMJ/gaps.csv');
  assert.equal(csv.status, 200);
  const line = csv.text.split('\r\n').find((l) => l.startsWith('RAL,'));
  assert.ok(line, csv.text);
  assert.equal(Number(line.split(',')[5]), ral.gaps.no_offline_backup);
  const drill = await ics.get('/orgs/RAL/registers');
  assert.equal(drill.status, 200);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
