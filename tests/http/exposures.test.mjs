// exposures: known vulnerabilities against the demo estate's inventory
// through the real server. Two hand-made CVE records (one for the Chrome
// 122 that several demo organisations run, in CISA's KEV; one whose range
// cannot order the version of a widget the GP practice's lead imports as
// CSV) are synced from a local folder and matched by the background job.
// Then: the organisation's list (KEV first, "cannot tell" shown, filters,
// CSV), the API, refusals (another organisation's exposure is missing,
// triage by it refused, "not affected" without a justification refused),
// triage on the page and through the API (an exposure marked fixed is
// flagged when the same CSV is imported again), an ICS lead's decision
// applied to members (and refused to an organisation lead), the
// vulnerability page and API scoped to the viewer's subtree, and the
// CycloneDX VEX export's shape, the CSAF VEX export against the CSAF schema
// and the VEX profile's rules, and the demo's feed sources.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail, runProgram } from '../lib/server.mjs';
import { Client, pageErrors } from '../lib/client.mjs';

const GP = 'E83046';        // runs Chrome 122.0.6261.111 twice (and, added here, a widget of no orderable version)
const PEER = 'F83652';      // in the same ICS, also runs Chrome 122
const ICS = 'QMJ';
const OTHER = 'RAN';        // a trust in another ICS
const CHROME = 'CVE-2099-0001';
const WIDGET = 'CVE-2099-0002';

const WIDGET_CSV = 'vendor,product,version\r\nAcme,Test Widget,nightly build\r\n';

let inst;
let srv;
let widgetSystem;
let lead;
let outsider;
let icsLead;
let api;
let apiOutsider;

function cve(id, vendor, product, from, below, type, score) {
  return JSON.stringify({
    dataType: 'CVE_RECORD', dataVersion: '5.1',
    cveMetadata: { cveId: id, state: 'PUBLISHED', assignerOrgId: 'a', datePublished: '2099-01-01T00:00:00Z', dateUpdated: '2099-01-02T00:00:00Z' },
    containers: { cna: {
      providerMetadata: { orgId: 'a' }, title: `Test flaw in ${product}`,
      descriptions: [{ lang: 'en', value: 'A flaw made for the tests.' }],
      affected: [{ vendor, product, versions: [{ version: from, lessThan: below, status: 'affected', versionType: type }], defaultStatus: 'unaffected' }],
      metrics: [{ cvssV3_1: { version: '3.1', baseScore: score, baseSeverity: 'CRITICAL', vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' } }],
    } },
  });
}

async function sqlOne(q) {
  return (await inst.sql(q))[0];
}

async function exposureOf(code, vuln) {
  return sqlOne(`SELECT min(e.id) FROM exposures e JOIN orgs o ON o.id = e.org_id WHERE o.code = '${code}'`
    + ` AND e.vuln_id = '${vuln}' AND e.gone_at IS NULL`);
}

before(async () => {
  inst = await createInstance('exposures');
  srv = inst.server;
  const dir = join(inst.dir, 'cve');
  mkdirSync(dir);
  writeFileSync(join(dir, `${CHROME}.json`), cve(CHROME, 'Google', 'Chrome', '122.0.0.0', '123.0.0.0', 'custom', 9.8));
  writeFileSync(join(dir, `${WIDGET}.json`), cve(WIDGET, 'Acme', 'Test Widget', '1.0.0', '2.0.0', 'semver', 5.0));
  const kev = join(inst.dir, 'kev.json');
  writeFileSync(kev, JSON.stringify({ title: 'KEV', catalogVersion: 't', vulnerabilities: [{
    cveID: CHROME, vendorProject: 'Google', product: 'Chrome', vulnerabilityName: 'Chrome test flaw', dateAdded: '2099-01-03',
    shortDescription: 'x', requiredAction: 'Update.', dueDate: '2099-01-24', knownRansomwareCampaignUse: 'Unknown', notes: '' }] }));
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', GP), PASSWORD);
  // a component whose version no scheme can order, imported into one of the
  // GP practice's systems as its lead would
  widgetSystem = await sqlOne(`SELECT min(s.id) FROM systems s JOIN orgs o ON o.id = s.org_id WHERE o.code = '${GP}'`);
  const imported = await lead.upload(`/systems/${widgetSystem}/import`, 'widget.csv', WIDGET_CSV);
  assert.match(imported.text, /1 added, 0 updated/);
  const db = ['--db', inst.db.url];
  await inst.cliOk(['feeds', 'add', 'test-cve', '--kind', 'cve5', '--path', dir, ...db]);
  await inst.cliOk(['feeds', 'add', 'test-kev', '--kind', 'kev', '--path', kev, ...db]);
  await inst.cliOk(['feeds', 'sync', 'test-cve', ...db]);
  await inst.cliOk(['feeds', 'sync', 'test-kev', ...db]);
  // the periodic match job: due once its period has passed on the test clock.
  // The server's own worker may have read the estate before the widget was
  // added and the feed after it was synced: the next run catches up, so wait
  // for both records.
  inst.advanceClock(400);
  for (let i = 0; i < 60 && !((await exposureOf(GP, CHROME)) && (await exposureOf(GP, WIDGET))); i++) {
    await inst.cliOk(['worker', '--once', ...db]);
    await new Promise((r) => setTimeout(r, 500));
  }
  outsider = srv.client();
  await outsider.signInFull(demoEmail('org_lead', OTHER), PASSWORD);
  icsLead = srv.client();
  await icsLead.signInFull(demoEmail('ics_lead', ICS), PASSWORD);
  api = new Client(srv.base);
  api.bearer = (await createToken(inst, demoEmail('org_lead', GP), { write: true, name: 'exp' })).token;
  apiOutsider = new Client(srv.base);
  apiOutsider.bearer = (await createToken(inst, demoEmail('org_lead', OTHER), { write: true, name: 'exp' })).token;
});
after(async () => {
  await inst?.close();
});

test('the match job found the test records in the demo inventory', async () => {
  assert.ok(await exposureOf(GP, CHROME), 'Chrome 122 at the GP practice is exposed');
  assert.ok(await exposureOf(PEER, CHROME), 'and at its peer');
  assert.equal(await sqlOne(`SELECT answer FROM exposures WHERE id = ${await exposureOf(GP, WIDGET)}`), 'unknown');
  // Chrome 124 is past the range: never matched
  assert.equal(await sqlOne(`SELECT count(*) FROM exposures WHERE vuln_id = '${CHROME}' AND version LIKE '124.%'`), '0');
});

test("an organisation's list puts KEV first and shows 'cannot tell'", async () => {
  const r = await lead.get(`/orgs/${GP}/exposures`);
  assert.equal(r.status, 200);
  // the first row of the table is a known exploited vulnerability
  const rows = r.text.split('<tr').slice(2);
  assert.ok(rows.length > 0);
  assert.match(rows[0], /Known exploited/);
  const kevOnly = await lead.get(`/orgs/${GP}/exposures?kev=1&severity=critical`);
  assert.match(kevOnly.text, new RegExp(CHROME));
  assert.match(kevOnly.text, /due 2099-01-24/);
  assert.doesNotMatch(kevOnly.text, new RegExp(WIDGET));
  const unknown = await lead.get(`/orgs/${GP}/exposures?answer=unknown&severity=medium`);
  assert.ok(unknown.text.includes(WIDGET) && !unknown.text.includes(CHROME));
  assert.match(unknown.text, /Cannot tell/);
  const none = await lead.get(`/orgs/${GP}/exposures?state=fixed`);
  assert.match(none.text, /No current exposures match/);
  const csv = await lead.get(`/orgs/${GP}/exposures.csv?answer=unknown`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.match(lines[0], /^id,vulnerability,title,severity/);
  assert.ok(lines.slice(1).some((l) => l.includes(WIDGET)));
  assert.ok(lines.length >= 2 && lines.slice(1).every((l) => l.includes('cannot tell') && !l.includes(CHROME)));
});

test('another organisation cannot see or triage the exposure', async () => {
  const id = await exposureOf(GP, CHROME);
  assert.equal((await outsider.get(`/exposures/${id}`)).status, 404);
  const post = await outsider.post(`/exposures/${id}/triage`, { state: 'fixed' });
  assert.equal(post.status, 404);
  assert.equal((await outsider.get(`/orgs/${GP}/exposures`)).status, 404);
  assert.equal((await apiOutsider.get(`/api/v1/exposures/${id}`)).status, 404);
  const t = await apiOutsider.request('POST', `/api/v1/exposures/${id}/triage`, { json: { state: 'fixed' } });
  assert.equal(t.status, 404);
  assert.equal((await apiOutsider.get(`/api/v1/exposures?org=${GP}`)).status, 404);
  assert.equal(await sqlOne('SELECT count(*) FROM exposure_decisions'), '0');
});

test('triage on the page: "not affected" needs a justification', async () => {
  const id = await exposureOf(GP, CHROME);
  const page = await lead.get(`/exposures/${id}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /Why it matched/);
  assert.match(page.text, /122\.0\.6261\.111/);
  const bad = await lead.post(`/exposures/${id}/triage`, { state: 'not_affected', note: 'we think so' });
  assert.equal(bad.status, 400);
  const errs = pageErrors(bad.text);
  assert.equal(errs[0]?.field, 'justification-component_not_present');
  assert.match(errs[0].message, /justification/);
  assert.equal(await sqlOne('SELECT count(*) FROM exposure_decisions'), '0');
  const ok = await lead.post(`/exposures/${id}/triage`, {
    state: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', note: 'The PDF viewer is disabled',
  });
  assert.equal(ok.status, 303);
  const after = await lead.get(`/exposures/${id}`);
  assert.match(after.text, /Decision saved: Not affected/);
  assert.match(after.text, /The vulnerable code is never run/);
  assert.match(after.text, /The PDF viewer is disabled/);
});

test('triage through the API, and the list API', async () => {
  const id = await exposureOf(GP, WIDGET);
  const bad = await api.request('POST', `/api/v1/exposures/${id}/triage`, { json: { state: 'sorted' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.field, 'state');
  const r = await api.request('POST', `/api/v1/exposures/${id}/triage`, { json: { state: 'investigating', note: 'checking the board' } });
  assert.equal(r.status, 200);
  const d = r.json().data;
  assert.equal(d.state, 'investigating');
  assert.equal(d.cannot_tell, true);
  assert.equal(d.note, 'checking the board');
  // marked fixed, then the inventory is imported again at the same version: flagged
  const fixed = await api.request('POST', `/api/v1/exposures/${id}/triage`, { json: { state: 'fixed' } });
  assert.equal(fixed.json().data.fixed_but_present, false);
  inst.advanceClock(60);
  const again = await lead.upload(`/systems/${widgetSystem}/import`, 'widget.csv', WIDGET_CSV);
  assert.match(again.text, /0 added, 1 updated/);
  assert.equal((await api.get(`/api/v1/exposures/${id}`)).json().data.fixed_but_present, true);
  assert.match((await lead.get(`/exposures/${id}`)).text, /Marked fixed, still in the inventory/);
  const list = await api.get('/api/v1/exposures?limit=100');
  assert.equal(list.status, 200);
  const items = list.json().data;
  assert.ok(items.length >= 3);
  assert.ok(items.every((x) => x.org === GP));
  const chrome = items.find((x) => x.vulnerability.id === CHROME);
  assert.equal(chrome.vulnerability.kev, true);
  assert.equal(chrome.vulnerability.cvss, '9.8');
  assert.equal(chrome.state, 'not_affected');
  // KEV first, then severity: no exposure without KEV comes before a KEV one
  const firstPlain = items.findIndex((x) => !x.vulnerability.kev);
  assert.ok(firstPlain < 0 || items.slice(firstPlain).every((x) => !x.vulnerability.kev));
});

test("an ICS lead decides for the members; an organisation lead cannot", async () => {
  const peer = await exposureOf(PEER, CHROME);
  const refused = await lead.post(`/exposures/${await exposureOf(GP, CHROME)}/ics-decision`, { 'ics-state': 'fixed' });
  assert.equal(refused.status, 403);
  const page = await icsLead.get(`/exposures/${peer}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /Decide for every member of/);
  const r = await icsLead.post(`/exposures/${peer}/ics-decision`, { 'ics-state': 'affected', note: 'ICS-wide: update pending' });
  assert.equal(r.status, 303);
  const shown = await icsLead.get(r.location);
  // the GP practice decided for itself already and keeps it; the peer gets the ICS's
  assert.match(shown.text, /Applied to 1 member organisations; 1 kept their own decision/);
  assert.equal(await sqlOne(`SELECT d.state || '|' || dor.code FROM exposure_decisions d JOIN orgs o ON o.id = d.org_id`
    + ` JOIN orgs dor ON dor.id = d.decided_by_org WHERE o.code = '${PEER}' AND d.vuln_id = '${CHROME}'`), `affected|${ICS}`);
  const peerPage = await icsLead.get(`/exposures/${peer}`);
  assert.match(peerPage.text, /on this organisation&#39;s behalf|on this organisation's behalf/);
});

test('the vulnerability page and API count only what the viewer may see', async () => {
  const mine = await icsLead.get(`/api/v1/vulnerabilities/${CHROME}`);
  assert.equal(mine.status, 200);
  const d = mine.json().data;
  assert.equal(d.kev, true);
  assert.equal(d.kev_due, '2099-01-24');
  assert.equal(d.records.length, 2);           // the CVE record and the KEV entry
  assert.equal(d.exposed.organisations, 2);    // the GP practice and its peer, not the other ICS's trusts
  const other = await apiOutsider.get(`/api/v1/vulnerabilities/${CHROME}`);
  assert.equal(other.json().data.exposed.organisations, 0);
  const page = await icsLead.get(`/vulnerabilities/${CHROME}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /Test flaw in Chrome/);
  assert.match(page.text, /Exposed organisations per ICS/);
  assert.doesNotMatch(page.text, /RKL|RQM/);
  const drill = await icsLead.get(`/vulnerabilities/${CHROME}?ics=${ICS}`);
  assert.match(drill.text, /Exposed organisations/);
  assert.equal((await lead.get('/vulnerabilities/CVE-1999-99999')).status, 404);
  const top = await icsLead.get(`/orgs/${ICS}/exposures/top`);
  assert.equal(top.status, 200);
  assert.ok(top.text.indexOf(CHROME) > 0 && top.text.indexOf(CHROME) < top.text.indexOf(WIDGET));
});

test('the VEX export is CycloneDX 1.6 with analyses pointing at components', async () => {
  const r = await lead.get(`/api/v1/orgs/${GP}/vex`);
  assert.equal(r.status, 200);
  const vex = r.json();
  assert.equal(vex.bomFormat, 'CycloneDX');
  assert.equal(vex.specVersion, '1.6');
  assert.match(vex.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
  const refs = new Set(vex.components.map((c) => c['bom-ref']));
  assert.ok(vex.vulnerabilities.length >= 2);
  for (const v of vex.vulnerabilities) {
    assert.ok(v.affects.length > 0);
    for (const a of v.affects) assert.ok(refs.has(a.ref), `${a.ref} is a component of the document`);
  }
  const chrome = vex.vulnerabilities.find((v) => v.id === CHROME);
  assert.equal(chrome.analysis.state, 'not_affected');
  assert.equal(chrome.analysis.justification, 'code_not_reachable');
  const widget = vex.vulnerabilities.find((v) => v.id === WIDGET);
  assert.equal(widget.analysis.state, 'resolved');
  assert.equal((await outsider.get(`/api/v1/orgs/${GP}/vex`)).status, 404);
});

// The CSAF VEX profile's own rules beyond the schema (CSAF 2.0 section 4.5
// and mandatory tests 6.1.1, 6.1.27.9, 6.1.27.10).
function checkCsafVex(doc) {
  assert.equal(doc.document.category, 'csaf_vex');
  assert.equal(doc.document.csaf_version, '2.0');
  const products = new Set(doc.product_tree.full_product_names.map((p) => p.product_id));
  assert.ok(products.size > 0);
  for (const v of doc.vulnerabilities) {
    assert.ok(v.cve || v.ids?.length, 'a vulnerability names its id');
    assert.ok(v.notes?.length, 'a vulnerability has notes');
    const st = v.product_status;
    const all = ['known_affected', 'known_not_affected', 'fixed', 'under_investigation'].flatMap((k) => st[k] ?? []);
    assert.ok(all.length > 0, 'a vulnerability has a product status');
    for (const id of all) assert.ok(products.has(id), `${id} is defined in the product tree`);
    const impact = new Set([...(v.flags ?? []).flatMap((f) => f.product_ids),
      ...(v.threats ?? []).filter((t) => t.category === 'impact').flatMap((t) => t.product_ids)]);
    for (const id of st.known_not_affected ?? []) assert.ok(impact.has(id), `${id} not affected has an impact statement`);
    const action = new Set((v.remediations ?? []).flatMap((r) => r.product_ids ?? []));
    for (const id of st.known_affected ?? []) assert.ok(action.has(id), `${id} affected has an action statement`);
  }
}

test('the CSAF 2.0 VEX export passes the CSAF schema and the VEX profile rules', async () => {
  const r = await lead.get(`/api/v1/orgs/${GP}/vex/csaf`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-disposition'), /vex-E83046\.csaf\.json/);
  const doc = r.json();
  checkCsafVex(doc);
  const chrome = doc.vulnerabilities.find((v) => v.cve === CHROME);
  assert.ok(chrome.product_status.known_not_affected.length >= 1);
  assert.equal(chrome.product_status.known_affected, undefined);
  assert.deepEqual(chrome.flags.map((f) => f.label), ['vulnerable_code_not_in_execute_path']);
  const widget = doc.vulnerabilities.find((v) => v.cve === WIDGET);
  assert.ok(widget.product_status.fixed.length === 1);
  // the ICS's document holds the peer's "affected" with its action statement
  const ics = await icsLead.get(`/api/v1/orgs/${ICS}/vex/csaf`);
  assert.equal(ics.status, 200);
  const icsDoc = ics.json();
  checkCsafVex(icsDoc);
  const icsChrome = icsDoc.vulnerabilities.find((v) => v.cve === CHROME);
  assert.ok(icsChrome.product_status.known_affected.length >= 1);
  assert.ok(icsChrome.remediations.length >= 1);
  // the OASIS JSON schema, with Debian's python3-jsonschema (deps/debian.txt)
  const files = [];
  for (const [name, text] of [['gp', r.text], ['ics', ics.text]]) {
    const f = join(inst.dir, `vex-${name}.csaf.json`);
    writeFileSync(f, text);
    files.push(f);
  }
  const data = process.env.BULWARK_DATA || '../shared/data';
  const v = await runProgram('/usr/bin/python3', ['tests/alerts/csaf_validate.py', join(data, 'feeds/csaf/schema'), ...files]);
  assert.equal(v.code, 0, `CSAF schema errors:\n${v.stdout}${v.stderr}`);
  assert.match((await lead.get(`/orgs/${GP}/exposures`)).text, new RegExp(`href="/api/v1/orgs/${GP}/vex/csaf"`));
  assert.equal((await outsider.get(`/api/v1/orgs/${GP}/vex/csaf`)).status, 404);
  assert.equal((await apiOutsider.get(`/api/v1/orgs/${GP}/vex/csaf`)).status, 404);
});

test('every feed source of the demo points at a file that exists, and the KEV one syncs again', async () => {
  const rows = await inst.sql("SELECT name || '|' || location FROM feed_sources ORDER BY name");
  assert.ok(rows.length >= 2);
  for (const row of rows) {
    const [name, loc] = String(row).split('|');
    assert.ok(existsSync(loc), `${name} points at ${loc}`);
  }
  await inst.cliOk(['feeds', 'sync', 'cisa-kev', '--db', inst.db.url]);
});

test('servers shut down cleanly', async () => {
  await assertCleanShutdown(inst, assert);
});
