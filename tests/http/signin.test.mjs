// signin: password sign-in, the session cookie, and sign-out, against the
// real server (SQLite or PostgreSQL, from BULWARK_TEST_BACKEND).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail } from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

let inst;
let srv;
before(async () => {
  inst = await createInstance('signin');
  srv = inst.server;
});
after(async () => {
  await inst?.close();
});

test('the sign-in page is served to anyone and has the sign-in form', async () => {
  const r = await srv.client().get('/sign-in');
  assert.equal(r.status, 200);
  assert.match(r.text, /<h1>Sign in to Bulwark<\/h1>/);
  assert.match(r.text, /name="email"/);
  assert.match(r.text, /name="password"/);
});

test('a signed-out visitor to a page is sent to sign in, keeping where they were going', async () => {
  const r = await srv.client().get('/users');
  assert.equal(r.status, 303);
  assert.equal(r.location, '/sign-in?next=%2Fusers');
});

test('a wrong password and an unknown email get the same status and message', async () => {
  const wrong = await srv.client().signIn(demoEmail('staff', 'RAL'), 'Not-The-Password-123');
  const unknown = await srv.client().signIn('nobody-here@ral.demo.bulwark.example', 'Not-The-Password-123');
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, wrong.status);
  const we = pageErrors(wrong.text);
  const ue = pageErrors(unknown.text);
  assert.equal(we.length, 1, wrong.text);
  assert.deepEqual(ue, we);
  assert.match(we[0].message, /email address or password is not correct/);
  assert.equal(wrong.setCookies.length, 0, 'no session cookie after a failure');
});

test('signing in redirects home and sets an HttpOnly SameSite=Strict session cookie', async () => {
  const c = srv.client();
  const r = await c.signIn(demoEmail('org_lead', 'RAL'), PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/');
  assert.equal(r.setCookies.length, 1, 'one cookie');
  const sc = r.setCookies[0];
  assert.match(sc, /^bw_session=[A-Za-z0-9_-]{40,};/);
  assert.match(sc, /;\s*HttpOnly/i);
  assert.match(sc, /;\s*SameSite=Strict/i);
  assert.match(sc, /;\s*Path=\//i);
  assert.doesNotMatch(sc, /;\s*Secure/i, 'no Secure flag without TLS (the browser would drop it)');
  const home = await c.get('/');
  assert.equal(home.status, 200);
  assert.match(home.text, /<h1>Royal Free London NHS Foundation Trust<\/h1>/i);
});

test('each sign-in gets a new session token', async () => {
  const a = srv.client();
  const b = srv.client();
  await a.signIn(demoEmail('contributor', 'RAL'), PASSWORD);
  await b.signIn(demoEmail('contributor', 'RAL'), PASSWORD);
  assert.ok(a.cookies.get('bw_session'));
  assert.notEqual(a.cookies.get('bw_session'), b.cookies.get('bw_session'));
});

test('after sign-in only same-site addresses are followed', async () => {
  for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
    const c = srv.client();
    const r = await c.request('POST', '/sign-in', {
      form: { email: demoEmail('board', 'RAL'), password: PASSWORD, next },
    });
    assert.equal(r.status, 303);
    assert.equal(r.location, '/', `next=${next}`);
  }
  const c = srv.client();
  const r = await c.request('POST', '/sign-in', {
    form: { email: demoEmail('board', 'RAL'), password: PASSWORD, next: '/orgs/RAL' },
  });
  assert.equal(r.location, '/orgs/RAL');
});

test('signing out ends the session: the old cookie no longer works', async () => {
  const c = srv.client();
  await c.signInFull(demoEmail('org_lead', 'RP6'), PASSWORD);
  const old = c.cookies.get('bw_session');
  const out = await c.post('/sign-out');
  assert.equal(out.status, 303);
  assert.equal(out.location, '/sign-in');
  assert.ok(out.setCookies.some((s) => /^bw_session=;/.test(s) && /Max-Age=0/i.test(s)), 'cookie cleared');
  // someone who kept the old cookie gets nothing
  const thief = srv.client();
  thief.cookies.set('bw_session', old);
  const page = await thief.get('/');
  assert.equal(page.status, 303);
  assert.match(page.location, /^\/sign-in/);
  const api = await thief.get('/api/v1/me');
  assert.equal(api.status, 401);
});

test('sign out everywhere ends every session of that person', async () => {
  const a = srv.client();
  const b = srv.client();
  await a.signInFull(demoEmail('staff', 'RP6'), PASSWORD);
  await b.signInFull(demoEmail('staff', 'RP6'), PASSWORD);
  const r = await a.post('/profile/signout-everywhere');
  assert.equal(r.status, 303);
  assert.equal((await b.get('/profile')).status, 303);
  assert.equal((await a.get('/profile')).status, 303);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
