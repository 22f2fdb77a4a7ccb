// scaleout: two `bulwark serve` processes on one database behave as one
// service — a session made on one works on the other (CSRF token included),
// sign-out on one ends it on both, and failed sign-ins are counted across
// both. This is the PostgreSQL deployment; on SQLite the file is shared the
// same way, so the test runs on both backends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { BACKEND, PASSWORD, assertCleanShutdown, createInstance, demoEmail } from '../lib/server.mjs';
import { pageErrors, pageRecoveryCodes, pageSecret } from '../lib/client.mjs';
import { totp } from '../lib/totp.mjs';

let inst;
let one;
let two;
before(async () => {
  inst = await createInstance(`scaleout-${BACKEND}`);
  one = inst.server;
  two = await inst.start();
});
after(async () => {
  await inst?.close();
});

test('two servers run on one database, on different ports', async () => {
  assert.notEqual(one.port, two.port);
  assert.equal((await one.client().get('/healthz')).status, 200);
  assert.equal((await two.client().get('/healthz')).status, 200);
});

test('a session made on one server works on the other', async () => {
  const a = one.client();
  await a.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  const b = two.client();
  b.cookies = a.cookies;
  const home = await b.get('/');
  assert.equal(home.status, 200);
  assert.match(home.text, /Royal Free London/i);
  // the CSRF token from a page of server one is accepted by server two
  const r = await b.request('POST', '/profile/tokens', {
    form: { csrf_token: a.csrf, name: 'made-on-two', scope: 'read' },
  });
  assert.equal(r.status, 200);
  const p = await a.get('/profile');
  assert.match(p.text, /made-on-two/, 'server one sees what server two wrote');
});

test('a one-time message set on one server is shown by the other', async () => {
  const a = one.client();
  await a.signInFull(demoEmail('org_lead', 'RP6'), PASSWORD);
  const add = await a.post('/users', {
    name: 'Two Servers', email: 'two.servers@rp6.example.nhs.uk', org: 'RP6', role: 'staff',
    password: 'Saffron-Gable-Oyster-3318',
  });
  assert.equal(add.status, 303);
  const b = two.client();
  b.cookies = a.cookies;
  const page = await b.get(add.location);
  assert.equal(page.status, 200);
  assert.match(page.text, /User added/);
});

test('signing out on one server ends the session on the other', async () => {
  const a = one.client();
  await a.signInFull(demoEmail('contributor', 'RAL'), PASSWORD);
  const b = two.client();
  b.cookies = new Map(a.cookies);
  assert.equal((await b.get('/')).status, 200);
  assert.equal((await a.post('/sign-out')).status, 303);
  assert.equal((await b.get('/')).status, 303);
});

test('failed sign-ins are counted across both servers', async () => {
  const email = demoEmail('board', 'RAL');
  for (let i = 0; i < 5; i++) assert.equal((await one.client().signIn(email, `Wrong-one-${i}-pw`)).status, 401);
  for (let i = 0; i < 4; i++) assert.equal((await two.client().signIn(email, `Wrong-two-${i}-pw`)).status, 401);
  const tenth = await two.client().signIn(email, 'Wrong-two-last-pw');
  assert.equal(tenth.status, 429, 'the tenth failure, split 5 + 5, locks');
  for (const s of [one, two]) {
    const r = await s.client().signIn(email, PASSWORD);
    assert.equal(r.status, 429);
    assert.match(pageErrors(r.text)[0].message, /too many failed attempts/i);
  }
});

test('a second-factor code used on one server is refused on the other', async () => {
  // enrol the administrator on server one
  const a = one.client();
  await a.signIn(demoEmail('admin', 'NATIONAL'), PASSWORD);
  const setup = await a.get('/mfa/setup');
  const secret = pageSecret(setup.text);
  const done = await a.post('/mfa/setup', { code: totp(secret, inst.now()) });
  assert.equal(pageRecoveryCodes(done.text).length, 10);
  inst.advanceClock(30);
  const code = totp(secret, inst.now());
  const x = one.client();
  await x.signIn(demoEmail('admin', 'NATIONAL'), PASSWORD);
  await x.get('/mfa');
  assert.equal((await x.post('/mfa', { code })).status, 303);
  const y = two.client();
  await y.signIn(demoEmail('admin', 'NATIONAL'), PASSWORD);
  await y.get('/mfa');
  const replay = await y.post('/mfa', { code });
  assert.equal(replay.status, 400);
});

test('both servers stop cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
