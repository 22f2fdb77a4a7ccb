// alerts: advisories and responses as their users meet them. An analyst
// drafts an advisory (bad fields named in the error summary), sees who it
// reaches, cannot publish before review, publishes it (responses issued,
// deliveries queued); TLP:AMBER+STRICT keeps it to the target organisations
// (not their ICS, not a sibling, not the API list of others); every response
// step works through the pages and the API and every refusal changes nothing
// (wrong organisation, wrong role, wrong order, closed); an ICS lead answers
// for members (recorded on their behalf) but not for another ICS's; the
// analyst's roll-up has an accessible chart, a drill-down and CSV; the league
// table ranks ICSs; withdrawal closes what is open; the exports (CSAF 2.0,
// valid against the OASIS schema, and STIX 2.1) and the read-only TAXII 2.1
// collections (objects, manifest, versions) keep to the same visibility;
// affected products target the organisations running them; the inbox
// notices show on the organisation's alerts page and are marked read per
// person; overdue responses escalate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  Client, PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail, runProgram, totp,
} from '../lib/server.mjs';
import { pageErrors, pageSecret } from '../lib/client.mjs';

let inst;
let srv;
let analyst;
let ralLead;
let ralContrib;
let ralStaff;
let ranLead;
let qmj;
let id = '';

const ADVISORY = {
  title: 'Critical vulnerability in Ivanti Connect Secure', type: 'high_severity_alert', severity: 'critical',
  threat_type: 'Authentication bypass', tlp: 'AMBER+STRICT',
  summary: 'Attackers chain two flaws to run commands on Ivanti Connect Secure gateways.',
  details: 'Exploited since December.', cves: 'CVE-2023-46805, CVE-2024-21887',
  products: 'Ivanti Connect Secure 9.x\nIvanti Connect Secure 22.x', remediation: 'Apply the mitigation XML, then patch.',
  iocs: '192.0.2.10', references: 'https://www.ncsc.gov.uk/\njavascript:alert(1)', ack_hours: '48', update_days: '3',
  remediation_due: '', target_kind: 'list', target_types: '', target_codes: 'RAL, RP6', change_note: '',
};

async function enrolled(email) {
  const c = srv.client();
  const r = await c.signIn(email, PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/mfa/setup');
  const setup = await c.get('/mfa/setup');
  const done = await c.post('/mfa/setup', { code: totp(pageSecret(setup.text), inst.now()) });
  assert.equal(done.status, 200);
  await c.refreshCsrf('/');
  return c;
}

async function signedIn(role, code) {
  const c = srv.client();
  await c.signInFull(demoEmail(role, code), PASSWORD);
  return c;
}

async function one(q) {
  return (await inst.sql(q))[0];
}

async function response(code, adv = id) {
  return one(`SELECT r.state || '|' || r.applicability || '|' || r.closure || '|' || coalesce(r.on_behalf_of, '')
    FROM advisory_responses r JOIN orgs o ON o.id = r.org_id WHERE r.advisory_id = '${adv}' AND o.code = '${code}'`);
}

before(async () => {
  inst = await createInstance('alerts');
  srv = inst.server;
  analyst = await enrolled(demoEmail('analyst', 'NATIONAL'));
  ralLead = await signedIn('org_lead', 'RAL');
  ralContrib = await signedIn('contributor', 'RAL');
  ralStaff = await signedIn('staff', 'RAL');
  ranLead = await signedIn('org_lead', 'RAN');
  qmj = await signedIn('ics_lead', 'QMJ');
});
after(async () => {
  await inst?.close();
});

test('the demo has advisories in every state and an organisation sees its alerts with deadlines', async () => {
  assert.deepEqual(await inst.sql('SELECT id || state FROM advisories ORDER BY id'),
    ['CC-0001published', 'CC-0002published', 'CC-0003published', 'CC-0004draft']);
  const r = await ralLead.get('/orgs/RAL/alerts');
  assert.equal(r.status, 200);
  assert.match(r.text, /CC-0001/);
  assert.match(r.text, /Acknowledge by/);
  // the demo backdated CC-0001 by four days and RAL has not acknowledged: overdue
  assert.match(r.text, /Overdue/);
  // the menu's Alerts leads an analyst to the advisories and others to their organisation
  assert.equal((await analyst.get('/alerts')).location, '/advisories');
  assert.equal((await ralLead.get('/alerts')).location, '/orgs/RAL/alerts');
});

test('a draft with bad fields is refused naming each field, and nothing is added', async () => {
  await analyst.get('/advisories/new');
  const before = await one('SELECT count(*) FROM advisories');
  const r = await analyst.post('/advisories', { ...ADVISORY, title: '', cves: 'CVE-2024-x', target_codes: 'RAL NOPE' });
  assert.equal(r.status, 400);
  assert.deepEqual(pageErrors(r.text).map((e) => e.field).sort(), ['cves', 'title']);
  const codes = await analyst.post('/advisories', { ...ADVISORY, target_codes: 'RAL NOPE' });
  assert.equal(codes.status, 400);
  assert.deepEqual(pageErrors(codes.text).map((e) => e.field), ['target_codes']);
  assert.match(codes.text, /There is no organisation with the code NOPE/);
  assert.equal(await one('SELECT count(*) FROM advisories'), before);
});

test('only analysts write advisories, and a draft is theirs alone', async () => {
  const r = await ralLead.post('/advisories', ADVISORY);
  assert.equal(r.status, 403);
  const ok = await analyst.post('/advisories', ADVISORY);
  assert.equal(ok.status, 303);
  id = ok.location.split('/').pop();
  assert.equal(id, 'CC-0005');
  assert.equal((await ralLead.get(`/advisories/${id}`)).status, 404);
  assert.equal((await ralLead.get('/advisories/CC-0004')).status, 404);
  const api = await ralLead.get(`/api/v1/advisories/${id}`);
  assert.equal(api.status, 404);
  // a reader cannot drive the editing side, even by the API
  assert.equal((await ralLead.post(`/advisories/${id}/submit`, {})).status, 404);
});

test('the analyst sees who it reaches, cannot publish before review, then publishes', async () => {
  const p = await analyst.get(`/advisories/${id}/targets`);
  assert.equal(p.status, 200);
  assert.match(p.text, /id="target-count">2 organisations/);
  assert.match(p.text, /Royal Free London/);
  assert.doesNotMatch(p.text, /Publish advisory/, 'not offered before review');
  assert.equal(await one(`SELECT count(*) FROM advisory_targets WHERE advisory_id = '${id}'`), '0', 'the preview wrote nothing');
  const early = await analyst.post(`/advisories/${id}/publish`, {});
  assert.equal(early.status, 409);
  assert.equal((await analyst.post(`/advisories/${id}/submit`, {})).status, 303);
  const review = await analyst.get(`/advisories/${id}/targets`);
  assert.match(review.text, /Publish advisory/);
  const pub = await analyst.post(`/advisories/${id}/publish`, {});
  assert.equal(pub.status, 303);
  assert.equal(await one(`SELECT count(*) FROM advisory_responses WHERE advisory_id = '${id}' AND state = 'issued'
    AND ack_due = issued_at + 172800`), '2');
  assert.ok(Number(await one(`SELECT count(*) FROM deliveries WHERE advisory_id = '${id}'`)) > 0, 'deliveries queued');
  assert.equal(await one(`SELECT count(*) FROM audit WHERE action = 'advisory.publish' AND object = 'advisory:${id}'`), '1');
  const page = await analyst.get(`/advisories/${id}`);
  assert.match(page.text, /First published/);
  // a reference that is not a web address is shown as text, never as a link
  assert.doesNotMatch(page.text, /href="javascript:/);
});

test('TLP:AMBER+STRICT: the target organisations see it; their ICS, a sibling and others do not', async () => {
  // the advisory's link takes a target organisation to its own copy, with the response form
  const link = await ralLead.get(`/advisories/${id}`);
  assert.equal(link.status, 303);
  assert.equal(link.location, `/orgs/RAL/alerts/${id}`);
  const own = await ralLead.get(link.location);
  assert.equal(own.status, 200);
  assert.match(own.text, /TLP:AMBER\+STRICT/);
  assert.match(own.text, /Ivanti Connect Secure/);
  for (const [c, path] of [[ranLead, `/advisories/${id}`], [qmj, `/advisories/${id}`], [qmj, `/orgs/RAL/alerts/${id}`],
    [qmj, `/orgs/QMJ/advisories/${id}/responses`], [ranLead, `/api/v1/advisories/${id}`]]) {
    const r = await c.get(path);
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.text, /Ivanti/, path);
  }
  const list = await ranLead.get('/api/v1/advisories?limit=50');
  assert.equal(list.status, 200);
  const ids = list.json().data.map((a) => a.id);
  assert.ok(ids.includes('CC-0001') && !ids.includes(id) && !ids.includes('CC-0004'), ids.join(','));
  // the ICS lead cannot answer for its member either
  const bulk = await qmj.request('POST', `/api/v1/advisories/${id}/bulk`, {
    json: { step: 'acknowledge', orgs: ['RAL'] }, headers: { 'X-CSRF-Token': qmj.csrf },
  });
  assert.equal(bulk.status, 404);
  assert.equal(await response('RAL'), 'issued|||');
});

test('wrong organisation and wrong role are refused and change nothing', async () => {
  await ralLead.get(`/orgs/RAL/alerts/${id}`);
  const other = await ranLead.post(`/orgs/RAL/alerts/${id}/respond`, { step: 'acknowledge' });
  assert.equal(other.status, 404);
  const staff = await ralStaff.post(`/orgs/RAL/alerts/${id}/respond`, { step: 'acknowledge' });
  assert.equal(staff.status, 403);
  assert.equal(await response('RAL'), 'issued|||');
});

test('every step through the pages, with each refusal naming what to do', async () => {
  const base = `/orgs/RAL/alerts/${id}`;
  await ralContrib.get(base);
  const early = await ralContrib.post(`${base}/respond`, { step: 'applicable', reason: 'We run it' });
  assert.equal(early.status, 400);
  assert.match(early.text, /nhsuk-error-summary[\s\S]*Acknowledge the alert before saying whether it applies/);
  const ack = await ralContrib.post(`${base}/respond`, { step: 'acknowledge' });
  assert.equal(ack.status, 303);
  assert.equal(await response('RAL'), 'acknowledged|||');
  const again = await ralContrib.post(`${base}/respond`, { step: 'acknowledge' });
  assert.equal(again.status, 400);
  const noReason = await ralContrib.post(`${base}/respond`, { step: 'not_applicable', reason: '' });
  assert.equal(noReason.status, 400);
  assert.deepEqual(pageErrors(noReason.text).map((e) => e.field), ['reason']);
  assert.equal((await ralContrib.post(`${base}/respond`, { step: 'applicable', reason: 'Two gateways' })).status, 303);
  const past = await ralContrib.post(`${base}/respond`, { step: 'update', update_note: 'One patched', next_update_due: '1/1/2020' });
  assert.equal(past.status, 400);
  assert.deepEqual(pageErrors(past.text).map((e) => e.field), ['next_update_due']);
  const bad = await ralContrib.post(`${base}/respond`, { step: 'update', update_note: 'One patched', next_update_due: '31/2/2030' });
  assert.equal(bad.status, 400);
  const upd = await ralContrib.post(`${base}/respond`, { step: 'update', update_note: 'One gateway patched' });
  assert.equal(upd.status, 303);
  const page = await ralContrib.get(base);
  assert.match(page.text, /One gateway patched/);
  assert.match(page.text, /Next update due/);
  assert.match(page.text, / (GMT|BST)</, 'times shown in Europe/London');
  // accepting a risk is for leads
  const notLead = await ralContrib.post(`${base}/respond`, { step: 'close', closure: 'risk_accepted', close_note: 'Retiring' });
  assert.equal(notLead.status, 403);
  await ralLead.get(base);
  const close = await ralLead.post(`${base}/respond`, {
    step: 'close', closure: 'risk_accepted', close_note: 'Gateway retires in March', accepted_until: '31/3/2027',
  });
  assert.equal(close.status, 303);
  assert.equal(await response('RAL'), 'closed|applicable|risk_accepted|');
  assert.equal(await one(`SELECT count(*) FROM risks r JOIN advisory_responses a ON a.risk_id = r.id
    WHERE a.advisory_id = '${id}' AND r.treatment = 'accept' AND r.accepted_until = '2027-03-31'`), '1');
  const closed = await ralLead.post(`${base}/respond`, { step: 'update', update_note: 'More' });
  assert.equal(closed.status, 400);
  assert.match(closed.text, /closed/);
  assert.equal(await one(`SELECT count(*) FROM response_events e JOIN orgs o ON o.id = e.org_id
    WHERE e.advisory_id = '${id}' AND o.code = 'RAL'`), '5');
});

test('every step through the API, and the API refuses another organisation', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RP6'), { write: true, name: 'alerts' });
  const c = new Client(srv.base);
  c.bearer = token;
  const base = `/api/v1/advisories/${id}/responses/RP6`;
  const early = await c.request('POST', `${base}/close`, { json: { closure: 'remediated' } });
  assert.equal(early.status, 409);
  assert.match(early.json().error.message, /Acknowledge/);
  const ack = await c.request('POST', `${base}/acknowledge`, { json: {} });
  assert.equal(ack.status, 200);
  assert.equal(ack.json().data.state, 'acknowledged');
  assert.match(ack.json().data.next_update_due, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const bad = await c.request('POST', `${base}/applicability`, { json: { applicable: 'no' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.field, 'applicable');
  const na = await c.request('POST', `${base}/applicability`, { json: { applicable: false, reason: 'No Ivanti here' } });
  assert.equal(na.status, 200);
  assert.equal(na.json().data.state, 'closed');
  assert.equal(na.json().data.closure, 'not_applicable');
  assert.deepEqual(na.json().data.history.map((h) => h.kind), ['issued', 'acknowledge', 'not_applicable']);
  const other = await c.request('POST', `/api/v1/advisories/CC-0001/responses/RAN/acknowledge`, { json: {} });
  assert.equal(other.status, 404);
  const list = await c.get(`/api/v1/advisories/${id}/responses`);
  assert.deepEqual(list.json().data.map((r) => r.org), ['RP6'], 'only its own subtree');
  const ro = await createToken(inst, demoEmail('org_lead', 'RP6'), { name: 'alerts-ro' });
  const r = new Client(srv.base);
  r.bearer = ro.token;
  assert.equal((await r.request('POST', `/api/v1/advisories/CC-0001/responses/RP6/acknowledge`, { json: {} })).status, 403);
});

test("an ICS lead answers for its members, recorded on each one's behalf, but not for another ICS's", async () => {
  const members = await inst.sql(`SELECT o.code FROM advisory_responses r JOIN orgs o ON o.id = r.org_id
    JOIN orgs p ON p.id = o.parent_id WHERE r.advisory_id = 'CC-0001' AND p.code = 'QMJ' AND r.state = 'issued' ORDER BY o.code`);
  assert.ok(members.length >= 1, 'the demo leaves some QMJ members unacknowledged');
  const page = await qmj.get('/orgs/QMJ/alerts/CC-0001');
  assert.equal(page.status, 200);
  assert.match(page.text, /Respond for member organisations/);
  const before = await inst.sql(`SELECT org_id || state FROM advisory_responses WHERE advisory_id = 'CC-0001' ORDER BY org_id`);
  const foreign = await qmj.post('/orgs/QMJ/alerts/CC-0001/bulk', [['bulk_step', 'acknowledge'], ['member_RAN', '1'],
    ...members.map((m) => [`member_${m}`, '1'])]);
  assert.equal(foreign.status, 404);
  assert.deepEqual(await inst.sql(`SELECT org_id || state FROM advisory_responses WHERE advisory_id = 'CC-0001' ORDER BY org_id`),
    before, 'all or nothing');
  const ok = await qmj.post('/orgs/QMJ/alerts/CC-0001/bulk', [['bulk_step', 'acknowledge'], ...members.map((m) => [`member_${m}`, '1'])]);
  assert.equal(ok.status, 303);
  for (const m of members) assert.equal(await response(m, 'CC-0001'), 'acknowledged|||QMJ', m);
  const mine = await signedIn('org_lead', members[0]);
  const view = await mine.get(`/orgs/${members[0]}/alerts/CC-0001`);
  assert.match(view.text, /on behalf of this organisation, for QMJ/);
  // a trust lead has no members to answer for
  await ralLead.get('/orgs/RAL/alerts/CC-0001');
  assert.equal((await ralLead.post('/orgs/RAL/alerts/CC-0001/bulk', { bulk_step: 'acknowledge', member_RP6: '1' })).status, 404);
});

test("the analyst's roll-up: counts, an accessible chart, drill-down, CSV and the league table", async () => {
  const r = await analyst.get('/orgs/NATIONAL/advisories/CC-0001/responses');
  assert.equal(r.status, 200);
  const total = await one("SELECT count(*) FROM advisory_responses WHERE advisory_id = 'CC-0001'");
  assert.match(r.text, new RegExp(`Sent to</a></td>\\s*<td[^>]*>${total}<`));
  assert.match(r.text, /<svg class="bw-chart"[^>]*role="img"[^>]*aria-labelledby="chart-title chart-desc"/);
  assert.match(r.text, /Acknowledged late/);
  const overdue = await analyst.get('/orgs/NATIONAL/advisories/CC-0001/responses?state=overdue');
  // late acknowledgements and late updates
  const n = await one(`SELECT count(*) FROM advisory_responses WHERE advisory_id = 'CC-0001' AND ((state = 'issued'
    AND ack_due < ${inst.now()}) OR (state IN ('acknowledged', 'applicable') AND next_update_due < ${inst.now()}))`);
  assert.ok(Number(n) > 0);
  assert.match(overdue.text, new RegExp(`${n} organisations: overdue`));
  const csv = await analyst.get('/orgs/NATIONAL/advisories/CC-0001/responses.csv');
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines.length, Number(total) + 1);
  assert.match(lines[0], /organisation,name,type,state/);
  const league = await analyst.get('/orgs/NATIONAL/alerts/league');
  assert.equal(league.status, 200);
  assert.match(league.text, /\(QMJ\)/);
  assert.match(league.text, /\(QRV\)/);
  // an ICS lead's roll-up is its own members only
  const mine = await qmj.get('/orgs/QMJ/advisories/CC-0001/responses.csv');
  assert.doesNotMatch(mine.text, /^RAN,/m);
  assert.match(mine.text, /^RAL,/m);
});

test('a revision is kept with what changed; withdrawal closes what is open', async () => {
  const edit = await analyst.post(`/advisories/${id}`, { ...ADVISORY, title: 'Ivanti Connect Secure: patch now', change_note: '' });
  assert.equal(edit.status, 303);
  await analyst.post(`/advisories/${id}/submit`, {});
  const noNote = await analyst.post(`/advisories/${id}/publish`, {});
  assert.equal(noNote.status, 400);
  await analyst.post(`/advisories/${id}`, { ...ADVISORY, title: 'Ivanti Connect Secure: patch now', change_note: 'Patch released' });
  await analyst.post(`/advisories/${id}/submit`, {});
  assert.equal((await analyst.post(`/advisories/${id}/publish`, {})).status, 303);
  const seen = await ralLead.get((await ralLead.get(`/advisories/${id}`)).location);
  assert.match(seen.text, /Ivanti Connect Secure: patch now/);
  assert.match(seen.text, /Patch released/);
  assert.equal(await response('RAL'), 'closed|applicable|risk_accepted|', 'answers kept across a revision');
  const none = await analyst.post(`/advisories/${id}/withdraw`, { reason: '' });
  assert.equal(none.status, 400, `${none.location} ${await one("SELECT id || ' ' || coalesce(cves,'?') FROM advisories ORDER BY created_at DESC LIMIT 1").catch((e) => e.message)}`);
  assert.equal((await analyst.post(`/advisories/CC-0003/withdraw`, { reason: 'Campaign over' })).status, 303);
  assert.equal(await one("SELECT count(*) FROM advisory_responses WHERE advisory_id = 'CC-0003' AND state <> 'closed'"), '0');
  const gp = await signedIn('org_lead', 'E83046');
  const page = await gp.get('/orgs/E83046/alerts/CC-0003');
  assert.match(page.text, /Withdrawn/);
  const late = await gp.post('/orgs/E83046/alerts/CC-0003/respond', { step: 'acknowledge' });
  assert.equal(late.status, 400);
  assert.match(late.text, /withdrawn/);
  const { code } = await inst.cli(['audit', 'verify', '--db', inst.db.url]);
  assert.equal(code, 0, 'the audit chain verifies');
});

test('exports: CSAF 2.0 valid against the OASIS schema and a STIX 2.1 bundle, each as visible as the advisory', async (t) => {
  const csaf = await ralLead.get('/advisories/CC-0001/csaf.json');
  assert.equal(csaf.status, 200);
  const doc = csaf.json();
  assert.equal(doc.document.category, 'csaf_security_advisory');
  assert.equal(doc.document.tracking.id, 'CC-0001');
  assert.equal(doc.document.distribution.tlp.label, 'GREEN');
  assert.equal(doc.vulnerabilities[0].cve, 'CVE-2023-4966');
  assert.ok(doc.product_tree.full_product_names.some((p) => p.product_identification_helper?.cpe?.startsWith('cpe:2.3:a:citrix')));
  const strict = (await ralLead.get('/api/v1/advisories/CC-0002/csaf')).json();
  assert.equal(strict.document.distribution.tlp.label, 'AMBER');
  assert.match(strict.document.distribution.text, /TLP:AMBER\+STRICT/);
  // a GP practice was not sent the trusts' strictly limited alert
  const gp = await signedIn('org_lead', 'E83046');
  assert.equal((await gp.get('/advisories/CC-0002/csaf.json')).status, 404);
  assert.equal((await gp.get('/api/v1/advisories/CC-0002/stix')).status, 404);
  assert.equal((await analyst.get('/advisories/CC-0004/csaf.json')).status, 404, 'a draft has nothing published');

  const stix = (await ralLead.get('/advisories/CC-0002/stix.json')).json();
  assert.equal(stix.type, 'bundle');
  const byType = (ty) => stix.objects.filter((o) => o.type === ty);
  assert.deepEqual(byType('vulnerability').map((v) => v.name), ['CVE-2024-21762']);
  assert.deepEqual(byType('indicator').map((i) => i.pattern).sort(),
    ["[domain-name:value = 'vpn-update.example.net']", "[ipv4-addr:value = '203.0.113.45']"]);
  assert.equal(byType('course-of-action').length, 1);
  const rel = byType('relationship')[0];
  assert.equal(rel.relationship_type, 'mitigates');
  assert.equal(rel.source_ref, byType('course-of-action')[0].id);
  assert.equal(rel.target_ref, byType('vulnerability')[0].id);
  for (const o of stix.objects) {
    assert.equal(o.spec_version, '2.1');
    assert.match(o.id, new RegExp(`^${o.type}--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`));
    assert.deepEqual(o.object_marking_refs, ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82'], 'TLP:AMBER');
  }
  const again = (await ralLead.get('/advisories/CC-0002/stix.json')).json();
  assert.deepEqual(again, stix, 'the same revision exports the same bundle');

  const files = [];
  for (const a of ['CC-0001', 'CC-0002', 'CC-0003', id]) {
    const r = await analyst.get(`/advisories/${a}/csaf.json`);
    assert.equal(r.status, 200, a);
    const f = join(inst.dir, `${a}.csaf.json`);
    writeFileSync(f, r.text);
    files.push(f);
  }
  const data = process.env.BULWARK_DATA || '../shared/data';
  // Debian's interpreter and its python3-jsonschema (deps/debian.txt)
  const v = await runProgram('/usr/bin/python3', ['tests/alerts/csaf_validate.py', join(data, 'feeds/csaf/schema'), ...files]);
  assert.equal(v.code, 0, `CSAF schema errors:\n${v.stdout}${v.stderr}`);
});

test('TAXII 2.1 (read-only, token): collections hold only what the caller may see', async () => {
  const anon = new Client(srv.base);
  assert.equal((await anon.get('/taxii2/')).status, 401);
  const { token } = await createToken(inst, demoEmail('org_lead', 'E83046'), { name: 'taxii' });
  const gp = new Client(srv.base);
  gp.bearer = token;
  const disc = await gp.get('/taxii2/');
  assert.equal(disc.status, 200);
  assert.equal(disc.headers.get('content-type'), 'application/taxii+json;version=2.1');
  assert.deepEqual(disc.json().api_roots, ['/taxii2/alerts/']);
  assert.deepEqual((await gp.get('/taxii2/alerts/')).json().versions, ['application/taxii+json;version=2.1']);
  const cols = (await gp.get('/taxii2/alerts/collections/')).json().collections;
  assert.equal(cols.length, 2);
  assert.ok(cols.every((c) => c.can_read && !c.can_write));
  const all = cols.find((c) => c.title === 'Cyber alerts');
  const objects = async (client, col, q = '') => (await client.get(`/taxii2/alerts/collections/${col}/objects/${q}`)).json();
  const names = (env) => env.objects.filter((o) => o.type === 'report').map((o) => o.name.split(':')[0]);
  // a GP practice: the GREEN and CLEAR advisories, not the trusts' AMBER+STRICT one nor a draft
  const mine = await objects(gp, all.id);
  assert.ok(names(mine).includes('CC-0001') && !names(mine).includes('CC-0002') && !names(mine).includes('CC-0004'),
    names(mine).join(','));
  assert.equal(mine.more, false);
  // a trust sees CC-0002 with its indicators
  const { token: t2 } = await createToken(inst, demoEmail('org_lead', 'RAN'), { name: 'taxii' });
  const trust = new Client(srv.base);
  trust.bearer = t2;
  const theirs = await objects(trust, all.id);
  assert.ok(names(theirs).includes('CC-0002'));
  assert.ok(theirs.objects.some((o) => o.type === 'indicator' && o.pattern === "[ipv4-addr:value = '203.0.113.45']"));
  // paging by advisory, and the high severity collection
  const page1 = await objects(trust, all.id, '?limit=1');
  assert.equal(page1.more, true);
  assert.equal(names(page1).length, 1);
  const page2 = await objects(trust, all.id, `?limit=1&next=${page1.next}`);
  assert.notDeepEqual(names(page2), names(page1));
  const high = cols.find((c) => c.title === 'High severity alerts');
  assert.ok(names(await objects(trust, high.id)).every((n) => n === 'CC-0001' || n === id));
  assert.equal((await trust.get('/taxii2/alerts/collections/nope/objects/')).status, 404);
  assert.equal((await trust.get(`/taxii2/alerts/collections/${all.id}/objects/?limit=0`)).status, 400);
});

test('targeted at the exposed: the organisations whose software the feeds matched to its CVEs', async () => {
  const cve = await one(`SELECT vuln_id FROM exposures WHERE gone_at IS NULL AND vuln_id LIKE 'CVE-%'
    GROUP BY vuln_id ORDER BY count(DISTINCT org_id) DESC, vuln_id LIMIT 1`);
  assert.ok(cve, 'the demo has exposures');
  const expected = Number(await one(`SELECT count(DISTINCT x.org_id) FROM exposures x JOIN orgs o ON o.id = x.org_id
    WHERE x.gone_at IS NULL AND x.vuln_id = '${cve}' AND o.type NOT IN ('national', 'region', 'supplier')`));
  assert.ok(expected > 0);
  // drafted in one click from the vulnerability's page: the form comes filled in, aimed at the exposed
  const vpage = await analyst.get(`/vulnerabilities/${cve}`);
  assert.match(vpage.text, new RegExp(`href="/advisories/new\\?cve=${cve}"`));
  const draft = await analyst.get(`/advisories/new?cve=${cve}`);
  assert.equal(draft.status, 200);
  assert.match(draft.text, new RegExp(`name="cves"[^>]*value="${cve}"`));
  assert.match(draft.text, new RegExp(`name="title"[^>]*value="${cve}: `));
  assert.match(draft.text, /<option value="exposed" selected>/);
  assert.doesNotMatch((await ralLead.get(`/vulnerabilities/${cve}`)).text, /Draft an advisory/);
  // (no affected products here: this is about the CVE ids alone)
  const none = await analyst.post('/advisories', { ...ADVISORY, tlp: 'GREEN', target_kind: 'exposed', cves: '', products: '' });
  assert.equal(none.status, 400);
  assert.deepEqual(pageErrors(none.text).map((e) => e.field), ['cves']);
  const made = await analyst.post('/advisories', { ...ADVISORY, tlp: 'GREEN', target_kind: 'exposed', cves: cve, products: '' });
  assert.equal(made.status, 303, JSON.stringify(pageErrors(made.text)));
  const adv = made.location.split('/').pop();
  const p = await analyst.get(`/advisories/${adv}/targets`);
  assert.match(p.text, new RegExp(`id="target-count">${expected} organisations?`));
  assert.equal((await analyst.post(`/advisories/${adv}/submit`, {})).status, 303);
  assert.equal((await analyst.post(`/advisories/${adv}/publish`, {})).status, 303);
  assert.equal(Number(await one(`SELECT count(*) FROM advisory_targets WHERE advisory_id = '${adv}'`)), expected);
  assert.equal(await one(`SELECT count(*) FROM advisory_targets t WHERE t.advisory_id = '${adv}' AND NOT EXISTS
    (SELECT 1 FROM exposures x WHERE x.org_id = t.org_id AND x.vuln_id = '${cve}' AND x.gone_at IS NULL)`), '0');
});

// Dotted numeric versions ("16.4.0", "7.4"), compared part by part.
function versionCmp(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

test('targeted at the exposed by affected products: the organisations running a version in range, with no CVE id', async () => {
  // what the demo inventory runs, read straight from the database
  const rows = (await inst.sql(`SELECT o.code, o.name, c.norm_product, c.version FROM components c
    JOIN orgs o ON o.id = c.org_id JOIN systems s ON s.id = c.system_id
    WHERE c.norm_product IN ('fortios', 'gitlab') AND o.type NOT IN ('national', 'region', 'supplier')`))
    .map((l) => { const [code, name, product, version] = l.split('\t'); return { code, name, product, version }; });
  const inRange = (r) => (r.product === 'fortios' && versionCmp(r.version, '7.0.0') >= 0 && versionCmp(r.version, '7.4.0') <= 0)
    || (r.product === 'gitlab' && versionCmp(r.version, '16.0') >= 0 && versionCmp(r.version, '17.0') < 0);
  const hit = new Map(rows.filter(inRange).map((r) => [r.code, r.name]));
  const outside = [...new Set(rows.filter((r) => !hit.has(r.code)).map((r) => r.code))];
  assert.ok(hit.size >= 3 && outside.length >= 3, `the demo runs both in and out of range: ${[...hit.keys()]} / ${outside}`);

  const bad = await analyst.post('/advisories', {
    ...ADVISORY, type: 'alert', tlp: 'GREEN', target_kind: 'exposed', cves: '', products: 'Fortinet FortiOS 7.0.0 to\ncpe:2.3:a:nope',
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(pageErrors(bad.text).map((e) => e.field), ['products']);
  assert.match(bad.text, /Line 1 of the affected products/);
  const made = await analyst.post('/advisories', {
    ...ADVISORY, type: 'alert', tlp: 'GREEN', target_kind: 'exposed', cves: '',
    products: 'Fortinet FortiOS 7.0.0 to 7.4.0\ncpe:2.3:a:gitlab:gitlab:*:*:*:*:*:*:*:* >= 16.0 < 17.0',
  });
  assert.equal(made.status, 303, JSON.stringify(pageErrors(made.text)));
  const adv = made.location.split('/').pop();
  // the preview lists exactly them before anything is sent
  const p = await analyst.get(`/advisories/${adv}/targets`);
  assert.equal(p.status, 200);
  assert.match(p.text, new RegExp(`id="target-count">${hit.size} organisations`));
  for (const code of hit.keys()) assert.match(p.text, new RegExp(`<td[^>]*>${code}</td>`), `${code} is listed`);
  for (const code of outside) assert.doesNotMatch(p.text, new RegExp(`<td[^>]*>${code}</td>`), `${code} is not listed`);
  assert.equal(await one(`SELECT count(*) FROM advisory_targets WHERE advisory_id = '${adv}'`), '0');
  assert.equal((await analyst.post(`/advisories/${adv}/submit`, {})).status, 303);
  assert.equal((await analyst.post(`/advisories/${adv}/publish`, {})).status, 303);
  const targeted = await inst.sql(`SELECT o.code FROM advisory_targets t JOIN orgs o ON o.id = t.org_id
    WHERE t.advisory_id = '${adv}' ORDER BY o.code`);
  assert.deepEqual(targeted, [...hit.keys()].sort());
});

test("the organisation's alerts page shows its inbox notices, read or unread for each person, and marks them read", async () => {
  const lead = await signedIn('org_lead', 'RAL');
  const uid = await one(`SELECT id FROM users WHERE email = '${demoEmail('org_lead', 'RAL')}'`);
  const unread = async () => Number(await one(`SELECT count(*) FROM inbox i JOIN orgs o ON o.id = i.org_id
    WHERE o.code = 'RAL' AND NOT EXISTS (SELECT 1 FROM inbox_reads r WHERE r.inbox_id = i.id AND r.user_id = ${uid})`));
  const before = await unread();
  assert.ok(before >= 2, 'the demo and the tests above sent RAL several alerts');
  const page = await lead.get('/orgs/RAL/alerts');
  assert.equal(page.status, 200);
  assert.match(page.text, /<h2 id="notices">Notices<\/h2>/);
  assert.match(page.text, new RegExp(`${before} unread notices`));
  assert.match(page.text, /New alert/);
  assert.match(page.text, /CC-0002/, 'its own strictly limited alert is listed to the trust');
  // its ICS lead sees the trust's notices, but not the strictly limited one
  const ics = await qmj.get('/orgs/RAL/alerts');
  assert.equal(ics.status, 200);
  assert.match(ics.text, /Notices/);
  assert.doesNotMatch(ics.text, /CC-0002/);

  const first = await one(`SELECT i.id FROM inbox i JOIN orgs o ON o.id = i.org_id WHERE o.code = 'RAL'
    ORDER BY i.created_at DESC, i.id DESC LIMIT 1`);
  // another organisation cannot mark RAL's notice, through its page or its own
  assert.ok([403, 404].includes((await ranLead.post('/orgs/RAL/alerts/notices', { notice: first })).status));
  assert.equal((await ranLead.post('/orgs/RAN/alerts/notices', { notice: first })).status, 404);
  assert.equal((await lead.post('/orgs/RAL/alerts/notices', { notice: 'x1' })).status, 400);
  assert.equal(await unread(), before);
  const one1 = await lead.post('/orgs/RAL/alerts/notices', { notice: first });
  assert.equal(one1.status, 303);
  assert.equal(await unread(), before - 1);
  const after1 = await lead.get('/orgs/RAL/alerts');
  assert.match(after1.text, new RegExp(`${before - 1} unread notice`));
  assert.match(after1.text, /Read<\/strong>/);
  // read markers are each person's own
  assert.match((await ralStaff.get('/orgs/RAL/alerts')).text, /Mark all notices as read/);
  const all = await lead.post('/orgs/RAL/alerts/notices', { notice: 'all' });
  assert.equal(all.status, 303);
  assert.equal(await unread(), 0);
  const done = await lead.get('/orgs/RAL/alerts');
  assert.match(done.text, /0 unread notices/);
  assert.doesNotMatch(done.text, /Mark all notices as read|Mark as read/);
});

test('TAXII 2.1 manifest, object versions and status, under the same TLP rule as the objects', async () => {
  const client = async (role, code) => {
    const { token } = await createToken(inst, demoEmail(role, code), { name: `taxii-${code}` });
    const c = new Client(srv.base);
    c.bearer = token;
    return c;
  };
  const ral = await client('org_lead', 'RAL');
  const gp = await client('org_lead', 'E83046');
  const col = (await ral.get('/taxii2/alerts/collections/')).json().collections.find((c) => c.title === 'Cyber alerts').id;
  const base = `/taxii2/alerts/collections/${col}`;
  const objs = (await ral.get(`${base}/objects/?limit=100`)).json().objects;
  const m = await ral.get(`${base}/manifest/?limit=100`);
  assert.equal(m.status, 200);
  assert.equal(m.headers.get('content-type'), 'application/taxii+json;version=2.1');
  assert.ok(m.headers.get('x-taxii-date-added-first'));
  const man = m.json();
  assert.equal(man.more, false);
  assert.deepEqual(man.objects.map((o) => o.id), objs.map((o) => o.id), 'one manifest entry per object, in order');
  for (const [i, o] of man.objects.entries()) {
    assert.equal(o.version, objs[i].modified);
    assert.equal(o.date_added, objs[i].modified, 'the latest version was added when its revision was published');
    assert.equal(o.media_type, 'application/stix+json;version=2.1');
  }
  const page1 = (await ral.get(`${base}/manifest/?limit=1`)).json();
  assert.equal(page1.more, true);
  const page2 = (await ral.get(`${base}/manifest/?limit=1&next=${page1.next}`)).json();
  assert.ok(page2.objects.length > 0 && !page2.objects.some((o) => page1.objects.some((p) => p.id === o.id)));
  assert.equal((await ral.get(`${base}/manifest/?limit=0`)).status, 400);

  // added_after: a polling client gets only what was added since its last pull,
  // and a revised advisory comes again with its new version
  const revisedReport = objs.find((o) => o.type === 'report' && o.name.startsWith(`${id}:`));
  const newest = man.objects.map((o) => o.date_added).sort().at(-1);
  const none = await ral.get(`${base}/objects/?added_after=${newest}`);
  assert.equal(none.status, 200);
  assert.deepEqual(none.json().objects, [], 'nothing added after the newest');
  assert.equal(none.headers.get('x-taxii-date-added-first'), null);
  const since = new Date(Date.parse(revisedReport.modified) - 1000).toISOString();
  const fresh = (await ral.get(`${base}/objects/?limit=100&added_after=${since}`)).json().objects;
  assert.ok(fresh.some((o) => o.id === revisedReport.id), 'the revised advisory is there again');
  assert.ok(fresh.length < objs.length, 'older advisories are left out');
  assert.ok(fresh.every((o) => o.type !== 'report' || Date.parse(o.modified) > Date.parse(since)));
  const all = (await ral.get(`${base}/manifest/?limit=100&added_after=1970-01-01T00:00:00.000Z`)).json().objects;
  assert.equal(all.length, man.objects.length);
  const bad = await ral.get(`${base}/objects/?added_after=yesterday`);
  assert.equal(bad.status, 400);
  assert.match(bad.text, /added_after/);

  // CC-0002 is TLP:AMBER+STRICT to the trusts: not in a GP practice's manifest
  const strict = objs.find((o) => o.type === 'report' && o.name.startsWith('CC-0002:')).id;
  assert.ok(!(await gp.get(`${base}/manifest/?limit=100`)).json().objects.some((o) => o.id === strict));
  assert.equal((await gp.get(`${base}/objects/${strict}/versions/`)).status, 404);
  const v1 = await ral.get(`${base}/objects/${strict}/versions/`);
  assert.equal(v1.status, 200);
  assert.equal(v1.headers.get('content-type'), 'application/taxii+json;version=2.1');
  assert.deepEqual(v1.json(), { versions: [objs.find((o) => o.id === strict).modified], more: false });
  // a revised advisory's report has a version per revision, oldest first
  const revised = objs.find((o) => o.type === 'report' && o.name.startsWith(`${id}:`));
  const vs = (await ral.get(`${base}/objects/${revised.id}/versions/`)).json();
  assert.ok(vs.versions.length >= 2, JSON.stringify(vs));
  assert.deepEqual([...vs.versions].sort(), vs.versions);
  assert.equal(vs.versions.at(-1), revised.modified);
  const vpage = (await ral.get(`${base}/objects/${revised.id}/versions/?limit=1`)).json();
  assert.equal(vpage.versions.length, 1);
  assert.equal(vpage.more, true);
  assert.equal((await ral.get(`${base}/objects/vulnerability--00000000-0000-5000-8000-000000000000/versions/`)).status, 404);
  // status: this server takes no objects, so no status exists; and a token is needed
  assert.equal((await ral.get('/taxii2/alerts/status/2d086da7-4bdc-4f91-900e-d77486753710/')).status, 404);
  assert.equal((await new Client(srv.base).get(`${base}/manifest/`)).status, 401);
});

test('overdue responses escalate through the job queue: contacts first, then the SIRO and ICS lead', async () => {
  // CC-0002, an alert (five days to acknowledge), went to the trusts two hours before the demo
  // ended: 119 hours later the deadline has passed
  const open = await one("SELECT count(*) FROM advisory_responses WHERE advisory_id = 'CC-0002' AND state = 'issued'");
  assert.ok(Number(open) > 0);
  // the server's own worker may take the job first: wait for whichever does
  const escalated = async (kind, want) => {
    const q = `SELECT count(*) FROM response_events WHERE advisory_id = 'CC-0002' AND kind ${kind}`;
    for (let i = 0; i === 0 || (i < 100 && (await one(q)) !== want); i++) {
      await inst.cliOk(['worker', '--db', inst.db.url, '--once']);
      await new Promise((r) => setTimeout(r, 100));
    }
    return one(q);
  };
  const wait = await escalated("= 'escalation_1'", '0');
  assert.equal(wait, '0', 'not before the deadline');
  inst.advanceClock(119 * 3600);
  const got1 = await escalated("= 'escalation_1'", open);
  assert.equal(got1, open);
  assert.ok(Number(await one("SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0002' AND reason LIKE 'esc1%'")) > 0,
    'the contacts are sent the alert again');
  // (sessions have timed out in those days: sign in again)
  const page = await (await signedIn('org_lead', 'RAL')).get('/orgs/RAL/alerts/CC-0002');
  assert.match(page.text, /Overdue: alert contacts reminded/);
  // again at once: nothing more; a day later: level 2, once each
  await inst.cliOk(['worker', '--db', inst.db.url, '--once']);
  assert.equal(await one("SELECT count(*) FROM response_events WHERE advisory_id = 'CC-0002' AND kind LIKE 'escalation%'"), open);
  inst.advanceClock(25 * 3600);
  assert.equal(await escalated("= 'escalation_2'", open), open);
  assert.equal(await one("SELECT count(*) FROM response_events WHERE advisory_id = 'CC-0002' AND kind LIKE 'escalation%'"),
    String(2 * Number(open)));
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
