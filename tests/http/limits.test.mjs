// limits: what the server refuses before any handler runs (address length,
// body size before and after sign-in, headers, form fields, bad UTF-8), and
// the session idle time-out, moved on with the test clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail } from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

let inst;
let srv;
let lead;
before(async () => {
  inst = await createInstance('limits');
  srv = inst.server;
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
});
after(async () => {
  await inst?.close();
});

test('an address whose path is longer than 8 KB gets 414', async () => {
  const r = await srv.client().get('/orgs/' + 'A'.repeat(9000));
  assert.equal(r.status, 414);
});

test('an address whose query string makes it longer than 8 KB gets 414', async () => {
  const r = await lead.get('/orgs?q=' + 'a'.repeat(9000));
  assert.equal(r.status, 414);
  const ok = await lead.get('/orgs?q=' + 'a'.repeat(150));
  assert.equal(ok.status, 200, 'an ordinary long query is fine');
});

test('a body over 16 KB before sign-in gets 413', async () => {
  const c = srv.client();
  const big = 'x'.repeat(20 * 1024);
  const r = await c.request('POST', '/sign-in', {
    form: { email: demoEmail('staff', 'RAL'), password: PASSWORD, filler: big },
  });
  assert.equal(r.status, 413);
  assert.equal(r.setCookies.length, 0, 'no session from an oversized request');
  // the same sign-in without the padding works
  const ok = await c.signIn(demoEmail('staff', 'RAL'), PASSWORD);
  assert.equal(ok.status, 303);
});

test('a signed-in user may send a larger body (the tighter limit is only before sign-in)', async () => {
  const r = await lead.post('/profile/tokens', { name: 'big-body', scope: 'read', filler: 'y'.repeat(40 * 1024) });
  assert.notEqual(r.status, 413);
  assert.equal(r.status, 200);
});

test('a body over 1 MB is refused even when signed in', async () => {
  const r = await lead.post('/profile/tokens', { name: 'huge-body', scope: 'read', filler: 'z'.repeat(1100 * 1024) });
  assert.equal(r.status, 413);
  const p = await lead.get('/profile');
  assert.doesNotMatch(p.text, /huge-body/);
});

test('a form with too many fields is refused', async () => {
  const pairs = [['email', demoEmail('staff', 'RAL')], ['password', PASSWORD]];
  for (let i = 0; i < 300; i++) pairs.push([`f${i}`, '1']);
  const c = srv.client();
  const r = await c.request('POST', '/sign-in', { form: pairs });
  assert.equal(r.status, 400);
  assert.equal(r.setCookies.length, 0);
  const q = await lead.get('/orgs?' + Array.from({ length: 300 }, (_, i) => `q${i}=1`).join('&'));
  assert.equal(q.status, 400, 'too many query fields too');
});

test('too many request headers get 431', async () => {
  const headers = {};
  for (let i = 0; i < 150; i++) headers[`X-Filler-${i}`] = 'v';
  const r = await srv.client().get('/sign-in', { headers });
  assert.equal(r.status, 431);
});

test('invalid UTF-8 in a form field is refused with a message naming the field', async () => {
  const c = srv.client();
  const r = await c.request('POST', '/sign-in', {
    body: `email=${encodeURIComponent(demoEmail('staff', 'RAL'))}&password=ab%FF%FEcd`,
    contentType: 'application/x-www-form-urlencoded',
  });
  assert.equal(r.status, 400);
  assert.match(r.text, /password/);
  assert.match(r.text, /UTF-8/);
  assert.equal(r.setCookies.length, 0);
});

test('invalid UTF-8 in a signed-in form names the field and changes nothing', async () => {
  const body = `csrf_token=${encodeURIComponent(lead.csrf)}&name=Bad%C3%28Name&email=bad-utf8%40ral.example.nhs.uk`
    + `&org=RAL&role=staff&password=${encodeURIComponent('Quiet-Meadow-Copper-5512')}`;
  const r = await lead.request('POST', '/users', { body, contentType: 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 400, r.text.slice(0, 3000));
  const errs = pageErrors(r.text);
  assert.ok(errs.some((e) => e.field === 'name' || /\bname\b/.test(e.message)), JSON.stringify(errs));
  const list = await lead.get('/users?q=bad-utf8');
  assert.doesNotMatch(list.text, /<td[^>]*>bad-utf8@/);
});

test('a NUL byte in a form field is refused', async () => {
  const r = await srv.client().request('POST', '/sign-in', {
    body: `email=staff%00@ral.demo.bulwark.example&password=x`,
    contentType: 'application/x-www-form-urlencoded',
  });
  assert.equal(r.status, 400);
  assert.match(r.text, /email/);
});

test('a session idle for 31 minutes is sent back to sign in', async () => {
  const c = srv.client();
  await c.signInFull(demoEmail('contributor', 'RAL'), PASSWORD);
  assert.equal((await c.get('/')).status, 200);
  inst.advanceClock(29 * 60);
  assert.equal((await c.get('/')).status, 200, 'still signed in after 29 idle minutes');
  inst.advanceClock(31 * 60);
  const r = await c.get('/users');
  assert.equal(r.status, 303);
  assert.match(r.location, /^\/sign-in/);
  const api = await c.get('/api/v1/me');
  assert.equal(api.status, 401);
  // and it stays ended: going back in time does not revive it
  inst.advanceClock(-31 * 60);
  assert.equal((await c.get('/')).status, 303);
});

test('a session ends after 12 hours even when used all the time', async () => {
  const c = srv.client();
  await c.signInFull(demoEmail('board', 'RAL'), PASSWORD);
  for (let h = 0; h < 12; h++) {
    inst.advanceClock(25 * 60);
    assert.equal((await c.get('/')).status, 200, `after ${(h + 1) * 25} minutes`);
  }
  inst.advanceClock(25 * 60);
  assert.equal((await c.get('/')).status, 200, 'five hours in');
  for (let h = 0; h < 16; h++) {
    inst.advanceClock(25 * 60);
    await c.get('/');
  }
  const r = await c.get('/');
  assert.equal(r.status, 303, 'after more than 12 hours');
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
