// suppliers: the supplier register as its users meet it. A trust's lead
// sees the suppliers it uses, adds one (bad input names the field and
// changes nothing), reads a national record it links without being able to
// change it, links and unlinks a record its ICS offers, keeps its own
// contracts (which other trusts never see), exports CSV that a spreadsheet
// cannot run, and does the same through the API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Client, PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail } from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

let inst;
let srv;
let ral;
let ran;
const ids = {};

async function idOf(name, ownerCode) {
  const rows = await inst.sql(`SELECT s.id FROM suppliers s JOIN orgs o ON o.id = s.org_id
    WHERE s.name = '${name}' AND o.code = '${ownerCode}' ORDER BY s.id LIMIT 1`);
  assert.equal(rows.length, 1, `${name} of ${ownerCode}`);
  return Number(rows[0]);
}

async function supplierRow(id) {
  return (await inst.sql(`SELECT name || '|' || COALESCE(company_number, '') || '|' || ce_level || '|' ||
    COALESCE(ce_expiry, '') || '|' || shared FROM suppliers WHERE id = ${id}`))[0];
}

before(async () => {
  inst = await createInstance('suppliers');
  srv = inst.server;
  ral = srv.client();
  await ral.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  ran = srv.client();
  await ran.signInFull(demoEmail('org_lead', 'RAN'), PASSWORD);
  ids.meridian = await idOf('Meridian Health Records Ltd (synthetic)', 'NATIONAL');
  ids.willowbrook = await idOf('Willowbrook Primary Care Software Ltd (synthetic)', 'NATIONAL');
  ids.ranLocal = Number((await inst.sql(`SELECT s.id FROM suppliers s JOIN orgs o ON o.id = s.org_id
    WHERE o.code = 'RAN' ORDER BY s.id LIMIT 1`))[0]);
  ids.qmjShared = Number((await inst.sql(`SELECT s.id FROM suppliers s JOIN orgs o ON o.id = s.org_id
    WHERE o.code = 'QMJ' AND s.shared = 1 ORDER BY s.id LIMIT 1`))[0]);
});
after(async () => {
  await inst?.close();
});

test("a trust's supplier list shows the national records it links and its own, with their ratings", async () => {
  const r = await ral.get('/orgs/RAL/suppliers');
  assert.equal(r.status, 200);
  assert.match(r.text, /Meridian Health Records Ltd \(synthetic\)/);
  assert.match(r.text, /Riverside Facilities IT Ltd \(synthetic\)/);
  assert.match(r.text, /This organisation/);
  assert.match(r.text, />(High|Medium|Low)</);
  assert.doesNotMatch(r.text, /Brightwater Telephony Ltd \(synthetic\)<\/a>/, 'not linked by this trust');
  // the filter keeps only suppliers with missing or expired assurances
  const gaps = await ral.get('/orgs/RAL/suppliers?assurance=gaps');
  assert.equal(gaps.status, 200);
  assert.match(gaps.text, /Kestrel Pathology Software/);   // Cyber Essentials Plus expired
  assert.doesNotMatch(gaps.text, /Meridian Health Records/); // all in date
  const search = await ral.get('/orgs/RAL/suppliers?q=pathology');
  assert.match(search.text, /Kestrel/);
  assert.doesNotMatch(search.text, /Meridian/);
});

test('a supplier page explains its rating in words and flags expired assurances', async () => {
  const r = await ral.get(`/suppliers/${await idOf('Kestrel Pathology Software Ltd (synthetic)', 'NATIONAL')}`);
  assert.equal(r.status, 200);
  assert.match(r.text, /Risk rating/);
  assert.match(r.text, /its Cyber Essentials Plus certificate expired on \d{1,2} [A-Z][a-z]{2} \d{4}/);
  assert.match(r.text, /Approaching/);
  assert.match(r.text, /Contracts held by your organisations/);
});

test('bad supplier details are refused naming each field, and nothing is added', async () => {
  const before = await inst.sql('SELECT count(*) FROM suppliers');
  const r = await ral.post('/orgs/RAL/suppliers', {
    name: 'Northwind Scanning Ltd', company_number: '12AB', ce_level: 'ce', ce_expiry: '',
    dspt_status: 'standards_met', dspt_year: '2025', iso_scope: '', iso_expiry: '31/2/2027',
  });
  assert.equal(r.status, 400);
  const fields = pageErrors(r.text).map((e) => e.field).sort();
  assert.deepEqual(fields, ['ce_expiry', 'company_number', 'dspt_year', 'iso_expiry', 'iso_scope']);
  assert.match(r.text, /value="Northwind Scanning Ltd"/, 'what was typed is kept');
  assert.deepEqual(await inst.sql('SELECT count(*) FROM suppliers'), before);
});

test('an organisation lead adds a supplier, and the change is audited', async () => {
  const r = await ral.post('/orgs/RAL/suppliers', {
    name: 'Northwind Scanning Ltd', company_number: 'sc123456', services: 'Document scanning',
    ce_level: 'ce_plus', ce_cert: 'IASME-CEP-1', ce_expiry: '1/1/2020', dspt_status: 'not_published',
  });
  assert.equal(r.status, 303, pageErrors(r.text).map((e) => e.message).join('; '));
  const m = /^\/suppliers\/(\d+)$/.exec(r.location);
  assert.ok(m, r.location);
  ids.northwind = Number(m[1]);
  const page = await ral.get(r.location);
  assert.equal(page.status, 200);
  assert.match(page.text, /Supplier added/);
  assert.match(page.text, /SC123456/);
  assert.match(page.text, /expired on 1 Jan 2020/);
  assert.match(page.text, /not published a DSPT assessment/);
  const audit = await inst.sql(`SELECT action FROM audit WHERE object = 'supplier:${ids.northwind}'`);
  assert.deepEqual(audit, ['supplier.create']);
  // another trust cannot see it
  assert.equal((await ran.get(r.location)).status, 404);
});

test('a linked national record can be read but not changed by the trust', async () => {
  const page = await ral.get(`/suppliers/${ids.meridian}`);
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text, /Change supplier details/);
  assert.equal((await ral.get(`/suppliers/${ids.meridian}/edit`)).status, 404);
  const before = await supplierRow(ids.meridian);
  const r = await ral.post(`/suppliers/${ids.meridian}`, { name: 'Hijacked Ltd', ce_level: 'none', dspt_status: 'not_published' });
  assert.equal(r.status, 404);
  assert.equal(await supplierRow(ids.meridian), before);
});

test("a supplier kept by another trust, or offered by another ICS, answers 404", async () => {
  assert.equal((await ral.get(`/suppliers/${ids.ranLocal}`)).status, 404);
  assert.equal((await ral.get(`/suppliers/${ids.ranLocal}/contracts/new`)).status, 404);
  assert.equal((await ran.get(`/suppliers/${ids.qmjShared}`)).status, 404);
  // a member of the offering ICS can read it
  assert.equal((await ral.get(`/suppliers/${ids.qmjShared}`)).status, 200);
});

test('a trust links a shared national record, then stops using it', async () => {
  const list = await ral.get('/orgs/RAL/suppliers');
  assert.match(list.text, /Use a supplier already assessed/);
  assert.match(list.text, new RegExp(`<option value="${ids.willowbrook}">Willowbrook`));
  const r = await ral.post('/orgs/RAL/suppliers/link', { supplier: String(ids.willowbrook) });
  assert.equal(r.status, 303);
  const linked = await ral.get('/orgs/RAL/suppliers');
  assert.match(linked.text, /Willowbrook Primary Care Software/);
  // a record that is not offered to this trust cannot be linked
  const bad = await ral.post('/orgs/RAL/suppliers/link', { supplier: String(ids.ranLocal) });
  assert.equal(bad.status, 400);
  assert.deepEqual(await inst.sql(`SELECT count(*) FROM supplier_links WHERE supplier_id = ${ids.ranLocal}
    AND org_id = (SELECT id FROM orgs WHERE code = 'RAL')`), ['0']);
  const u = await ral.post('/orgs/RAL/suppliers/unlink', { supplier: String(ids.willowbrook) });
  assert.equal(u.status, 303);
  const after = await ral.get('/orgs/RAL/suppliers');
  assert.doesNotMatch(after.text, /Willowbrook Primary Care Software Ltd \(synthetic\)<\/a>/);
  const audit = await inst.sql(`SELECT action FROM audit WHERE object = 'supplier:${ids.willowbrook}' ORDER BY id`);
  assert.deepEqual(audit, ['supplier.link', 'supplier.unlink']);
});

test("each trust keeps its own contracts with a shared supplier, and never sees another's", async () => {
  const form = {
    org: 'RAL', reference: 'RAL-EPR-2026-Q7', start_date: '1/4/2026', end_date: '31/3/2029',
    security_clauses: '1', incident_duty: '1', notify_hours: '',
  };
  const bad = await ral.post(`/suppliers/${ids.meridian}/contracts`, form);
  assert.equal(bad.status, 400);
  assert.deepEqual(pageErrors(bad.text).map((e) => e.field), ['notify_hours']);
  const other = await ral.post(`/suppliers/${ids.meridian}/contracts`, { ...form, org: 'RAN', notify_hours: '24' });
  assert.equal(other.status, 400);
  assert.deepEqual(pageErrors(other.text).map((e) => e.field), ['org']);
  assert.deepEqual(await inst.sql("SELECT count(*) FROM supplier_contracts WHERE reference = 'RAL-EPR-2026-Q7'"), ['0']);
  const ok = await ral.post(`/suppliers/${ids.meridian}/contracts`, { ...form, notify_hours: '24' });
  assert.equal(ok.status, 303, pageErrors(ok.text).map((e) => e.message).join('; '));
  const mine = await ral.get(`/suppliers/${ids.meridian}`);
  assert.match(mine.text, /RAL-EPR-2026-Q7/);
  assert.match(mine.text, /Within 24 hours/);
  const theirs = await ran.get(`/suppliers/${ids.meridian}`);
  assert.equal(theirs.status, 200);
  assert.doesNotMatch(theirs.text, /RAL-EPR-2026-Q7/);
  assert.doesNotMatch(theirs.text, /Royal Free/);
  // RAN cannot open or change RAL's contract
  const cid = (await inst.sql("SELECT id FROM supplier_contracts WHERE reference = 'RAL-EPR-2026-Q7'"))[0];
  assert.equal((await ran.get(`/suppliers/${ids.meridian}/contracts/${cid}`)).status, 404);
  assert.equal((await ran.post(`/suppliers/${ids.meridian}/contracts/${cid}/delete`, {})).status, 404);
  assert.deepEqual(await inst.sql(`SELECT count(*) FROM supplier_contracts WHERE id = ${cid}`), ['1']);
});

test('the CSV export cannot run formulas in a spreadsheet', async () => {
  const r = await ral.post('/orgs/RAL/suppliers', {
    name: '=HYPERLINK("http://evil.example","x")', services: '+SUM(A1:A9)', ce_level: 'none', dspt_status: 'not_published',
  });
  assert.equal(r.status, 303);
  const csv = await ral.get('/orgs/RAL/suppliers.csv');
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  assert.match(csv.text, /"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)"/);
  assert.match(csv.text, /,'\+SUM\(A1:A9\),/);
  assert.doesNotMatch(csv.text, /(^|,)=HYPERLINK/m);
  // (fetch drops the byte-order mark when it decodes the text)
  assert.match(csv.text, /^\uFEFF?id,name,company_number/);
  assert.match(csv.text, /Meridian Health Records/);
});

test('the API lists, reads, adds and changes suppliers, and names the field it refuses', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'), { write: true, name: 'sup-api' });
  const api = new Client(srv.base);
  api.bearer = token;
  const list = await api.get('/api/v1/orgs/RAL/suppliers?limit=2');
  assert.equal(list.status, 200);
  const body = list.json();
  assert.equal(body.data.length, 2);
  assert.ok(body.page.next, 'there is a next page');
  assert.ok(['High', 'Medium', 'Low'].includes(body.data[0].rating.level));
  const one = await api.get(`/api/v1/suppliers/${ids.meridian}`);
  assert.equal(one.status, 200);
  assert.equal(one.json().data.name, 'Meridian Health Records Ltd (synthetic)');
  assert.ok(one.json().data.contracts.some((c) => c.reference === 'RAL-EPR-2026-Q7'));
  assert.equal((await api.get(`/api/v1/suppliers/${ids.ranLocal}`)).status, 404);

  const bad = await api.request('POST', '/api/v1/orgs/RAL/suppliers', { json: { name: 'Api Ltd', company_number: 'XYZ' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.field, 'company_number');
  const wrongType = await api.request('POST', '/api/v1/orgs/RAL/suppliers', { json: { name: ['x'] } });
  assert.equal(wrongType.status, 400);
  assert.equal(wrongType.json().error.field, 'name');
  const made = await api.request('POST', '/api/v1/orgs/RAL/suppliers', {
    json: { name: 'Api Imaging Ltd', company_number: '01234567', ce_level: 'ce', ce_expiry: '2030-01-31', shared: false },
  });
  assert.equal(made.status, 201, made.text);
  const id = made.json().data.id;
  assert.equal(made.json().data.ce_expiry, '2030-01-31');
  const put = await api.request('PUT', `/api/v1/suppliers/${id}`, { json: { dspt_status: 'standards_met', dspt_year: '2025-26' } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json().data.dspt_status, 'standards_met');
  assert.equal(put.json().data.name, 'Api Imaging Ltd', 'members not sent keep their values');
  // a linked national record cannot be changed through the API either
  const before = await supplierRow(ids.meridian);
  const denied = await api.request('PUT', `/api/v1/suppliers/${ids.meridian}`, { json: { name: 'Hijacked' } });
  assert.equal(denied.status, 404);
  assert.equal(await supplierRow(ids.meridian), before);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
