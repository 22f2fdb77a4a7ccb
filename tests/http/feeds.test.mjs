// feeds: the vulnerability feeds through the real server and the command
// line. A KEV catalog served over HTTP (with an ETag) is added and synced
// with `bulwark feeds`; a second sync is answered 304 and changes nothing;
// the national analyst sees the status page, the feed's page with the
// refused record and its reason, and the API; an organisation lead is
// refused all of it; "Sync now" queues the job and the server's worker
// runs it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';

import { PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail, totp } from '../lib/server.mjs';
import { pageSecret } from '../lib/client.mjs';

let inst;
let srv;
let web;          // the little feed server
let hits = { ok: 0, notModified: 0 };
let catalog;

function kev(n) {
  const v = [];
  for (let k = 0; k < n; k++) {
    v.push({
      cveID: `CVE-2024-${String(2000 + k).padStart(4, '0')}`, vendorProject: 'Acme', product: `Widget ${k}`,
      vulnerabilityName: `Acme Widget ${k} flaw`, dateAdded: '2024-06-01', shortDescription: 'Bad.',
      requiredAction: 'Patch.', dueDate: '2024-07-01', knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: [],
    });
  }
  // one entry that cannot be read: no date it was added
  v.push({ cveID: 'CVE-2024-2999', vendorProject: 'Acme', product: 'Broken' });
  return JSON.stringify({ title: 'test catalog', vulnerabilities: v });
}

before(async () => {
  catalog = kev(3);
  web = createServer((req, res) => {
    const etag = `"${createHash('sha256').update(catalog).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] === etag) {
      hits.notModified++;
      res.writeHead(304, { ETag: etag });
      res.end();
      return;
    }
    hits.ok++;
    res.writeHead(200, { 'Content-Type': 'application/json', ETag: etag });
    res.end(catalog);
  });
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  inst = await createInstance('feeds');
  srv = inst.server;
});
after(async () => {
  await inst?.close();
  web?.close();
});

// The analyst must enrol a second factor at the first sign-in; later
// sign-ins reuse the same client.
let analystClient;
async function analyst() {
  if (analystClient) return analystClient;
  const c = srv.client();
  const r = await c.signIn(demoEmail('analyst', 'NATIONAL'), PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/mfa/setup');
  const setup = await c.get('/mfa/setup');
  const done = await c.post('/mfa/setup', { code: totp(pageSecret(setup.text), inst.now()) });
  assert.equal(done.status, 200);
  await c.refreshCsrf('/');
  analystClient = c;
  return c;
}

const url = () => `http://127.0.0.1:${web.address().port}/known_exploited_vulnerabilities.json`;

test('a KEV catalog is added and synced from a URL; an unchanged one is not downloaded again', async () => {
  // the server's worker syncs every feed once when it starts: let that run
  // end first, or it may be the one to fetch the catalog added here
  for (let i = 0; i < 100; i++) {
    const [due] = await inst.sql("SELECT count(*) FROM jobs WHERE kind = 'feeds.sync' AND state IN ('queued', 'running')"
      + ` AND run_at <= ${inst.now() + 60}`);
    if (Number(due) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await inst.cliOk(['feeds', 'add', 'kev-test', '--kind', 'kev', '--url', url(), '--db', inst.db.url]);
  const r1 = await inst.cli(['feeds', 'sync', 'kev-test', '--db', inst.db.url]);
  assert.equal(r1.code, 4, `exit 4: done with a refused record\n${r1.stdout}${r1.stderr}`);
  assert.match(r1.stdout, /3 added/);
  assert.match(r1.stdout, /1 refused/);
  assert.equal(hits.ok, 1);
  const [kevs] = await inst.sql("SELECT count(*) FROM vulnerabilities WHERE kev = 1 AND id LIKE 'CVE-2024-200%'");
  assert.equal(Number(kevs), 3);
  const r2 = await inst.cli(['feeds', 'sync', 'kev-test', '--db', inst.db.url]);
  assert.match(r2.stdout, /not modified/, r2.stdout + r2.stderr);
  assert.equal(hits.notModified, 1, 'the second request was conditional');
  const st = await inst.cli(['feeds', 'status', '--db', inst.db.url]);
  assert.equal(st.code, 0);
  assert.match(st.stdout, /kev-test\s+kev/);
  assert.match(st.stdout, /refused CVE-2024-2999: .*dateAdded/);
  const bad = await inst.cli(['feeds', 'sync', 'no-such-feed', '--db', inst.db.url]);
  assert.equal(bad.code, 3);
});

test('the national analyst sees the feeds, the refused record with its reason, and the API', async () => {
  const c = await analyst();
  const list = await c.get('/feeds');
  assert.equal(list.status, 200);
  assert.match(list.text, /kev-test/);
  assert.match(list.text, /Synced, some records refused/);
  const home = await c.get('/');
  assert.match(home.text, /href="\/feeds"/, 'the navigation has Feeds');
  const page = await c.get('/feeds/kev-test');
  assert.equal(page.status, 200);
  assert.match(page.text, /CVE-2024-2999/);
  assert.match(page.text, /dateAdded is missing or not a date/);
  assert.match(page.text, /Not modified/);
  const { token } = await createToken(inst, demoEmail('analyst', 'NATIONAL'), { name: 'feeds' });
  const api = await fetch(`${srv.base}/api/v1/feeds`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(api.status, 200);
  const body = await api.json();
  const f = body.data.find((x) => x.name === 'kev-test');
  assert.ok(f, JSON.stringify(body));
  assert.equal(f.records, 3);
  assert.equal(f.errors, 1);
  assert.equal(f.kind, 'kev');
});

test('an organisation lead is refused the feeds pages, the API and the sync button', async () => {
  const c = srv.client();
  await c.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  assert.equal((await c.get('/feeds')).status, 404);
  assert.equal((await c.get('/feeds/kev-test')).status, 404);
  await c.get('/');
  const before = await inst.sql("SELECT count(*) FROM jobs WHERE kind = 'feeds.sync' AND payload = 'kev-test'");
  const p = await c.post('/feeds/kev-test/sync', {});
  assert.ok(p.status === 404 || p.status === 403, `${p.status}`);
  const afterJobs = await inst.sql("SELECT count(*) FROM jobs WHERE kind = 'feeds.sync' AND payload = 'kev-test'");
  assert.deepEqual(afterJobs, before, 'no job was queued');
  const home = await c.get('/');
  assert.doesNotMatch(home.text, /href="\/feeds"/);
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'), { name: 'feeds-lead' });
  const api = await fetch(`${srv.base}/api/v1/feeds`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(api.status, 404);
});

test('"Sync now" queues the job and the worker runs it', async () => {
  catalog = kev(5);   // two more CVEs published
  const c = await analyst();
  await c.get('/feeds/kev-test');
  const [syncsBefore] = await inst.sql("SELECT count(*) FROM feed_syncs s JOIN feed_sources f ON f.id = s.source_id WHERE f.name = 'kev-test'");
  const r = await c.post('/feeds/kev-test/sync', {});
  assert.equal(r.status, 303);
  const shown = await c.get(r.location);
  assert.match(shown.text, /The sync has been queued/);
  let added = 0;
  for (let i = 0; i < 60 && !added; i++) {
    const rows = await inst.sql("SELECT s.added FROM feed_syncs s JOIN feed_sources f ON f.id = s.source_id"
      + ` WHERE f.name = 'kev-test' AND s.ok = 1 ORDER BY s.id DESC LIMIT 1 OFFSET 0`);
    const [n] = await inst.sql("SELECT count(*) FROM feed_syncs s JOIN feed_sources f ON f.id = s.source_id WHERE f.name = 'kev-test'");
    if (Number(n) > Number(syncsBefore) && rows.length) added = Number(rows[0]);
    if (!added) await new Promise((res) => setTimeout(res, 500));
  }
  assert.equal(added, 2, 'the worker synced two new CVEs');
  const [audit] = await inst.sql("SELECT count(*) FROM audit WHERE action = 'feeds.sync_requested'");
  assert.equal(Number(audit), 1);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
