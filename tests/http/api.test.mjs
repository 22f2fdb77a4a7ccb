// api: /api/v1 with bearer tokens made by `bulwark token create` — who am
// I, read-only tokens, revoked and expired tokens, the JSON error shape, and
// pagination of list endpoints (limit + cursor, next null on the last page).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  Client, assertCleanShutdown, createInstance, createToken, demoEmail, listOrgs, subtree,
} from '../lib/server.mjs';

let inst;
let srv;
let orgs;
before(async () => {
  inst = await createInstance('api');
  srv = inst.server;
  orgs = await listOrgs(inst);
});
after(async () => {
  await inst?.close();
});

function withToken(token) {
  const c = new Client(srv.base);
  c.bearer = token;
  return c;
}

function assertJsonError(r, status, code) {
  assert.equal(r.status, status);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const body = r.json();
  assert.ok(body.error, JSON.stringify(body));
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'field', 'message']);
  assert.equal(typeof body.error.code, 'string');
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 5);
  assert.ok(body.error.field === null || typeof body.error.field === 'string');
  if (code) assert.equal(body.error.code, code);
  return body.error;
}

test('GET /api/v1/me with a token from `bulwark token create` says who the token acts as', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'));
  assert.match(token, /^\S{30,}$/);
  const r = await withToken(token).get('/api/v1/me');
  assert.equal(r.status, 200);
  const me = r.json().data;
  assert.equal(me.email, demoEmail('org_lead', 'RAL'));
  assert.equal(me.org, 'RAL');
  assert.equal(me.role, 'org_lead');
});

test('no token, a malformed token and a made-up token all get a 401 JSON error', async () => {
  assertJsonError(await srv.client().get('/api/v1/me'), 401);
  assertJsonError(await withToken('not a token').get('/api/v1/me'), 401);
  const { token } = await createToken(inst, demoEmail('staff', 'RAL'));
  const forged = token.slice(0, -6) + (token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
  assertJsonError(await withToken(forged).get('/api/v1/me'), 401);
});

test('a read-only token cannot change anything', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'));
  const c = withToken(token);
  // every API route that changes something refuses it
  const routes = (await inst.cliOk(['routes'])).stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
  const writes = routes.filter(([m, , kind]) => kind === 'api' && m !== 'GET');
  for (const [method, pattern] of writes) {
    const path = pattern.replace(/\{[^}]+\}/g, 'RAL');
    const r = await c.request(method, path, { json: {} });
    assertJsonError(r, 403, 'forbidden');
  }
  // and a token never works on the browser's pages, which take a session
  const before = await inst.sql('SELECT count(*) FROM api_tokens');
  const p = await c.request('POST', '/profile/tokens', { form: { name: 'via-bearer', scope: 'write' } });
  assert.ok(p.status === 303 || p.status === 401 || p.status === 403, `status ${p.status}`);
  assert.notEqual(p.status, 200);
  assert.deepEqual(await inst.sql('SELECT count(*) FROM api_tokens'), before);
  // writing to a read-only address is refused too, not silently accepted
  const w = await c.request('POST', '/api/v1/users', { json: { email: 'x@example.org' } });
  assert.ok(w.status === 403 || w.status === 405, `status ${w.status}`);
  assertJsonError(w, w.status);
});

test('a revoked token is refused with 401 and a JSON error', async () => {
  const { token, id } = await createToken(inst, demoEmail('org_lead', 'RAL'));
  const c = withToken(token);
  assert.equal((await c.get('/api/v1/me')).status, 200);
  await inst.cliOk(['token', 'revoke', '--db', inst.db.url, '--id', String(id)]);
  const err = assertJsonError(await c.get('/api/v1/me'), 401, 'unauthorised');
  assert.match(err.message, /token/i);
});

test('a token revoked on the profile page stops working', async () => {
  const c = srv.client();
  await c.signInFull(demoEmail('contributor', 'RAL'), 'Lantern-Harbour-Quince-4071');
  const made = await c.post('/profile/tokens', { name: 'page-token', scope: 'read' });
  assert.equal(made.status, 200);
  const token = /<code class="bw-secret">([^<]+)<\/code>/.exec(made.text)[1];
  assert.equal((await withToken(token).get('/api/v1/me')).status, 200);
  const form = /action="(\/profile\/tokens\/\d+\/revoke)"/.exec(made.text)[1];
  const rv = await c.post(form);
  assert.equal(rv.status, 303);
  assertJsonError(await withToken(token).get('/api/v1/me'), 401);
});

async function walk(c, path, limit) {
  const pages = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await c.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    const body = r.json();
    assert.ok(Array.isArray(body.data));
    assert.ok(body.data.length <= limit, 'a page holds at most limit items');
    assert.ok('next' in body.page, 'page.next is always present');
    pages.push(body);
    cursor = body.page.next;
    if (cursor === null) break;
  }
  return pages;
}

test('organisation lists paginate with limit and cursor; next is null on the last page', async () => {
  const { token } = await createToken(inst, demoEmail('ics_lead', 'QMJ'));
  const c = withToken(token);
  const mine = subtree(orgs, 'QMJ').map((o) => o.code).sort();
  const pages = await walk(c, '/api/v1/orgs', 4);
  const seen = pages.flatMap((p) => p.data.map((o) => o.code));
  assert.equal(new Set(seen).size, seen.length, 'no organisation twice');
  assert.deepEqual([...seen].sort(), mine, 'exactly the ICS subtree');
  assert.ok(pages.length >= 3);
  assert.equal(pages.at(-1).page.next, null);
  assert.ok(pages.at(-1).data.length > 0, 'the last page is not an empty extra page');
  for (const p of pages.slice(0, -1)) assert.equal(p.data.length, 4, 'pages before the last are full');
});

test('when the list fills its pages exactly, the last full page says next is null', async () => {
  const { token } = await createToken(inst, demoEmail('ics_lead', 'QMJ'));
  const c = withToken(token);
  const n = subtree(orgs, 'QMJ').length;
  const pages = await walk(c, '/api/v1/orgs', n);
  assert.equal(pages.length, 1, `one page of ${n} holds all ${n}; got ${pages.map((p) => p.data.length)}`);
  assert.equal(pages[0].page.next, null);
});

test('user and audit lists paginate too', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'));
  const c = withToken(token);
  const users = await walk(c, '/api/v1/users', 3);
  const emails = users.flatMap((p) => p.data.map((u) => u.email));
  assert.equal(new Set(emails).size, emails.length);
  assert.ok(emails.length >= 4);
  assert.ok(emails.every((e) => e.endsWith('@ral.demo.bulwark.example')), emails.join(','));
  assert.equal(users.at(-1).page.next, null);
  const audit = await walk(c, '/api/v1/audit', 5);
  const ids = audit.flatMap((p) => p.data.map((a) => a.id));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  assert.equal(audit.at(-1).page.next, null);
});

test('a read-write token adds a user in its own organisation, and nowhere else', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'), { write: true });
  const c = withToken(token);
  const user = { email: 'api.added@ral.example.nhs.uk', name: 'Api Added', org: 'RAL', role: 'staff', password: 'Cobalt-Thistle-Meadow-5130' };
  const r = await c.request('POST', '/api/v1/users', { json: user });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json().data.email, user.email);
  assert.equal((await srv.client().signIn(user.email, user.password)).status, 303, 'the new user can sign in');
  const elsewhere = await c.request('POST', '/api/v1/users', { json: { ...user, email: 'api.elsewhere@ran.example.nhs.uk', org: 'RAN' } });
  const err = assertJsonError(elsewhere, elsewhere.status);
  assert.ok(elsewhere.status >= 400 && elsewhere.status < 500);
  assert.equal(err.field, 'org');
  const weak = await c.request('POST', '/api/v1/users', { json: { ...user, email: 'api.weak@ral.example.nhs.uk', password: 'password1234' } });
  assert.equal(assertJsonError(weak, 400).field, 'password');
  const rows = await inst.sql("SELECT email FROM users WHERE email LIKE 'api.%' ORDER BY email");
  assert.deepEqual(rows, ['api.added@ral.example.nhs.uk']);
});

test('bad JSON bodies get a 400 JSON error', async () => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'), { write: true });
  const c = withToken(token);
  assertJsonError(await c.request('POST', '/api/v1/users', { body: '{"email": ', contentType: 'application/json' }), 400);
  // nesting deeper than the limit is refused as a limit (413) or bad input (400)
  const deep = await c.request('POST', '/api/v1/users', { body: '['.repeat(100) + ']'.repeat(100), contentType: 'application/json' });
  assert.ok(deep.status === 400 || deep.status === 413, `status ${deep.status}`);
  assertJsonError(deep, deep.status);
});

test('an expired token is refused', async () => {
  const { token } = await createToken(inst, demoEmail('staff', 'RAL'));
  const args = ['token', 'create', '--db', inst.db.url, '--email', demoEmail('board', 'RAL'), '--days', '1'];
  const shortLived = (await inst.cliOk(args)).stdout.trim();
  assert.equal((await withToken(shortLived).get('/api/v1/me')).status, 200);
  inst.advanceClock(2 * 86400);
  const err = assertJsonError(await withToken(shortLived).get('/api/v1/me'), 401);
  assert.match(err.message, /token/i);
  assert.equal((await withToken(token).get('/api/v1/me')).status, 200, 'tokens without an expiry still work');
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
