// risks: the risk register as its users meet it. A trust's lead sees its
// risks with overdue reviews flagged, raises one (bad scores name the field
// and change nothing), rescoring keeps a history, a contributor cannot accept
// a risk but the lead can (who and until recorded and audited), actions come
// due, the heat map is an accessible picture with a table, CSV cannot run
// formulas, and the API does the same; another trust gets 404 throughout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Client, PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail } from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

let inst;
let srv;
let lead;
let contrib;
let ran;
let riskId = 0;

const RISK = {
  title: 'Unsupported Windows server runs the PACS archive', description: 'It no longer receives updates.',
  category: 'legacy_system', owner: 'Head of IT', likelihood: '4', impact: '5', residual_likelihood: '3',
  residual_impact: '4', treatment: 'mitigate', review_date: '31/3/2027', status: 'open',
};

before(async () => {
  inst = await createInstance('risks');
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
});

test("a trust's risk register lists its demo risks, worst first, with overdue reviews flagged", async () => {
  const r = await lead.get('/orgs/RAL/risks');
  assert.equal(r.status, 200);
  assert.match(r.text, /Ransomware attack stops clinical systems/);
  assert.match(r.text, /Staff phishing training completion below 80%/);
  const n = Number((await inst.sql(`SELECT count(*) FROM risks r JOIN orgs o ON o.id = r.org_id WHERE o.code = 'RAL'`))[0]);
  assert.ok(n >= 3 && n <= 6, `${n} risks`);
  assert.match(r.text, new RegExp(`${n} risks`));
  // the first row is the highest score now
  const scores = [...r.text.matchAll(/nhsuk-tag[^"]*">(\d+) (Low|Moderate|High|Extreme)</g)].map((m) => Number(m[1]));
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  const overdue = await lead.get('/orgs/RAL/risks?overdue=1');
  assert.equal(overdue.status, 200);
  const rows = (overdue.text.match(/Review overdue|Action overdue/g) || []).length;
  assert.ok(rows >= 1, 'the overdue filter shows something overdue');
  const ics = await srv.client();
  await ics.signInFull(demoEmail('ics_lead', 'QMJ'), PASSWORD);
  const all = await ics.get('/orgs/QMJ/risks?category=people');
  assert.match(all.text, /Royal Free London/);
  assert.match(all.text, /Moorfields/);
  assert.doesNotMatch(all.text, /Ransomware attack stops clinical systems/, 'category filter');
});

test('bad risk details are refused naming each field, and nothing is added', async () => {
  const before = await inst.sql('SELECT count(*) FROM risks');
  const r = await lead.post('/orgs/RAL/risks', {
    ...RISK, title: '', likelihood: '9', residual_likelihood: '5', residual_impact: '5', impact: '2', review_date: 'soon',
  });
  assert.equal(r.status, 400);
  const fields = pageErrors(r.text).map((e) => e.field).sort();
  assert.deepEqual(fields, ['likelihood', 'review_date', 'title']);
  const higher = await lead.post('/orgs/RAL/risks', { ...RISK, residual_likelihood: '5', residual_impact: '5' });
  assert.equal(higher.status, 400);
  assert.deepEqual(pageErrors(higher.text).map((e) => e.field), ['residual_likelihood']);
  const accept = await lead.post('/orgs/RAL/risks', { ...RISK, treatment: 'accept' });
  assert.equal(accept.status, 400);
  assert.deepEqual(pageErrors(accept.text).map((e) => e.field), ['treatment']);
  assert.deepEqual(await inst.sql('SELECT count(*) FROM risks'), before);
});

test('a contributor raises a risk and rescoring it keeps the history', async () => {
  const r = await contrib.post('/orgs/RAL/risks', RISK);
  assert.equal(r.status, 303, pageErrors(r.text).map((e) => e.message).join('; '));
  riskId = Number(/^\/risks\/(\d+)$/.exec(r.location)[1]);
  const page = await contrib.get(r.location);
  assert.match(page.text, /Risk raised/);
  assert.match(page.text, /Likelihood 4 \(Likely\) x impact 5 \(Catastrophic\) = 20, Extreme/);
  assert.match(page.text, /12 High/);
  const e = await contrib.post(`/risks/${riskId}`, { ...RISK, residual_likelihood: '2' });
  assert.equal(e.status, 303);
  const hist = await inst.sql(`SELECT (residual_likelihood * residual_impact) || '|' || note FROM risk_history
    WHERE risk_id = ${riskId} ORDER BY id`);
  assert.deepEqual(hist, ['12|Raised', '8|Scores changed']);
  const audit = await inst.sql(`SELECT action FROM audit WHERE object = 'risk:${riskId}' ORDER BY id`);
  assert.deepEqual(audit, ['risk.create', 'risk.update']);
});

test('only a lead can accept a risk; who and until are recorded and audited', async () => {
  const c = await contrib.post(`/risks/${riskId}/accept`, { accepted_until: '1/6/2027' });
  assert.equal(c.status, 403);
  assert.deepEqual(await inst.sql(`SELECT treatment FROM risks WHERE id = ${riskId}`), ['mitigate']);
  const page = await lead.get(`/risks/${riskId}`);
  assert.match(page.text, /Accept this risk/);
  const past = await lead.post(`/risks/${riskId}/accept`, { accepted_until: '1/1/2020' });
  assert.equal(past.status, 400);
  assert.deepEqual(pageErrors(past.text).map((e) => e.field), ['accepted_until']);
  const far = await lead.post(`/risks/${riskId}/accept`, { accepted_until: '1/1/2099' });
  assert.equal(far.status, 400);
  const until = new Date(inst.now() * 1000 + 200 * 86400000);
  const typed = `${until.getUTCDate()}/${until.getUTCMonth() + 1}/${until.getUTCFullYear()}`;
  const ok = await lead.post(`/risks/${riskId}/accept`, { accepted_until: typed, reason: 'Replacement due in spring' });
  assert.equal(ok.status, 303, pageErrors(ok.text).map((e) => e.message).join('; '));
  const after = await lead.get(`/risks/${riskId}`);
  assert.match(after.text, /By [^<]*org_lead@ral\.demo\.bulwark\.example[^<]* until /);
  const row = await inst.sql(`SELECT treatment || '|' || accepted_until FROM risks WHERE id = ${riskId}`);
  assert.equal(row[0], `accept|${until.toISOString().slice(0, 10)}`);
  const audit = await inst.sql(`SELECT action FROM audit WHERE object = 'risk:${riskId}' AND action = 'risk.accept'`);
  assert.deepEqual(audit, ['risk.accept']);
});

test('actions come due: an overdue one is flagged, and marking it done is recorded', async () => {
  const bad = await lead.post(`/risks/${riskId}/actions`, { action: '', action_owner: 'Infrastructure manager', due_date: '' });
  assert.equal(bad.status, 400);
  assert.deepEqual(pageErrors(bad.text).map((e) => e.field).sort(), ['action', 'due_date']);
  const r = await lead.post(`/risks/${riskId}/actions`, { action: 'Move the archive to a supported server',
    action_owner: 'Infrastructure manager', due_date: '1/1/2021' });
  assert.equal(r.status, 303);
  const page = await lead.get(`/risks/${riskId}`);
  assert.match(page.text, /Move the archive to a supported server/);
  assert.match(page.text, />Overdue</);
  const aid = (await inst.sql(`SELECT id FROM risk_actions WHERE risk_id = ${riskId}`))[0];
  // another trust cannot complete it
  assert.equal((await ran.post(`/risks/${riskId}/actions/${aid}/done`, {})).status, 404);
  assert.deepEqual(await inst.sql(`SELECT count(*) FROM risk_actions WHERE id = ${aid} AND done_on IS NULL`), ['1']);
  const done = await lead.post(`/risks/${riskId}/actions/${aid}/done`, {});
  assert.equal(done.status, 303);
  assert.match((await lead.get(`/risks/${riskId}`)).text, /Done on \d/);
});

test('the heat map is a picture with a title and a table of the same counts', async () => {
  const r = await lead.get('/orgs/RAL/risks/heatmap');
  assert.equal(r.status, 200);
  assert.equal((r.text.match(/<svg[^>]*role="img"/g) || []).length, 2);
  assert.match(r.text, /aria-labelledby="heat-inherent-title heat-inherent-desc"/);
  assert.match(r.text, /<caption[^>]*>Open risks by likelihood and impact<\/caption>/);
  assert.match(r.text, /\d+ before controls, \d+ now \(Extreme\)/);
  assert.doesNotMatch(r.text, /style="/);
  // the counts add up to the open risks
  const open = Number((await inst.sql(`SELECT count(*) FROM risks r JOIN orgs o ON o.id = r.org_id
    WHERE o.code = 'RAL' AND r.status = 'open'`))[0]);
  const cells = [...r.text.matchAll(/(\d+) before controls, (\d+) now/g)];
  assert.equal(cells.reduce((s, m) => s + Number(m[1]), 0), open);
  assert.equal(cells.reduce((s, m) => s + Number(m[2]), 0), open);
});

test('another trust gets 404 for every page of this risk', async () => {
  for (const p of [`/risks/${riskId}`, `/risks/${riskId}/edit`]) assert.equal((await ran.get(p)).status, 404, p);
  const before = await inst.sql(`SELECT title || treatment FROM risks WHERE id = ${riskId}`);
  assert.equal((await ran.post(`/risks/${riskId}`, { ...RISK, title: 'Changed by RAN' })).status, 404);
  assert.equal((await ran.post(`/risks/${riskId}/delete`, {})).status, 404);
  assert.deepEqual(await inst.sql(`SELECT title || treatment FROM risks WHERE id = ${riskId}`), before);
  assert.equal((await ran.get('/orgs/RAL/risks')).status, 404);
});

test('the CSV export cannot run formulas in a spreadsheet', async () => {
  const r = await lead.post('/orgs/RAL/risks', { ...RISK, title: "=cmd|' /C calc'!A0", owner: '@SUM(1+1)' });
  assert.equal(r.status, 303);
  const csv = await lead.get('/orgs/RAL/risks.csv?status=all');
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-disposition'), /risks-RAL\.csv/);
  assert.match(csv.text, /,'=cmd\|' \/C calc'!A0,/);
  assert.match(csv.text, /,'@SUM\(1\+1\),/);
  assert.doesNotMatch(csv.text, /(^|,)=cmd/m);
  assert.match(csv.text, /Ransomware attack stops clinical systems/);
});

test('the API lists, raises, changes, accepts and deletes risks, naming the field it refuses', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'), { write: true, name: 'risk-api' });
  const api = new Client(srv.base);
  api.bearer = token;
  const list = await api.get('/api/v1/orgs/RAL/risks?limit=2&status=all');
  assert.equal(list.status, 200);
  assert.equal(list.json().data.length, 2);
  assert.ok(list.json().page.next);
  const bad = await api.request('POST', '/api/v1/orgs/RAL/risks', { json: { ...RISK, impact: 6 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.field, 'impact');
  const made = await api.request('POST', '/api/v1/orgs/RAL/risks', {
    json: { ...RISK, likelihood: 3, impact: 4, residual_likelihood: 2, residual_impact: 4, review_date: '2027-01-31' },
  });
  assert.equal(made.status, 201, made.text);
  const id = made.json().data.id;
  assert.equal(made.json().data.inherent_score, 12);
  assert.equal(made.json().data.history.length, 1);
  const put = await api.request('PUT', `/api/v1/risks/${id}`, { json: { residual_likelihood: 1 } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json().data.residual_score, 4);
  assert.equal(put.json().data.history.length, 2);
  const acc = await api.request('PUT', `/api/v1/risks/${id}`, { json: { treatment: 'accept', accepted_until: '2020-01-01' } });
  assert.equal(acc.status, 400);
  assert.equal(acc.json().error.field, 'accepted_until');
  const until = new Date(inst.now() * 1000 + 100 * 86400000).toISOString().slice(0, 10);
  const acc2 = await api.request('PUT', `/api/v1/risks/${id}`, { json: { treatment: 'accept', accepted_until: until } });
  assert.equal(acc2.status, 200, acc2.text);
  assert.equal(acc2.json().data.treatment, 'accept');
  assert.equal(acc2.json().data.accepted_until, until);
  assert.match(acc2.json().data.accepted_by, /org_lead@ral/);
  // another trust's token cannot read or delete it
  const other = new Client(srv.base);
  other.bearer = (await createToken(inst, demoEmail('org_lead', 'RAN'), { write: true, name: 'ran-risk' })).token;
  const seen = await other.get(`/api/v1/risks/${id}`);
  assert.equal(seen.status, 404, seen.text);
  assert.equal((await other.request('DELETE', `/api/v1/risks/${id}`)).status, 404);
  const del = await api.request('DELETE', `/api/v1/risks/${id}`);
  assert.equal(del.status, 200);
  assert.equal((await api.get(`/api/v1/risks/${id}`)).status, 404);
  assert.deepEqual(await inst.sql(`SELECT action FROM audit WHERE object = 'risk:${id}' ORDER BY id`),
    ['risk.create', 'risk.update', 'risk.accept', 'risk.delete']);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
