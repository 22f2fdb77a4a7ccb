// lockout: ten failed sign-ins lock an address for fifteen minutes, whether
// or not an account has it; the test clock moves time on instead of waiting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail } from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

let inst;
let srv;
before(async () => {
  inst = await createInstance('lockout');
  srv = inst.server;
});
after(async () => {
  await inst?.close();
});

const LOCKED = /too many failed attempts/i;

async function fail(email, times) {
  const out = [];
  for (let i = 0; i < times; i++) out.push(await srv.client().signIn(email, `Wrong-password-${i}-xyz`));
  return out;
}

test('nine failures do not lock the account', async () => {
  const email = demoEmail('board', 'RV3');
  const fails = await fail(email, 9);
  assert.ok(fails.every((r) => r.status === 401), fails.map((r) => r.status).join(','));
  const ok = await srv.client().signIn(email, PASSWORD);
  assert.equal(ok.status, 303);
  assert.equal(ok.location, '/');
});

test('ten failures lock the account: even the right password is refused with the lock message', async () => {
  const email = demoEmail('org_lead', 'RV3');
  const fails = await fail(email, 10);
  assert.ok(fails.slice(0, 9).every((r) => r.status === 401));
  assert.equal(fails[9].status, 429, 'the tenth failure reports the lock');
  const r = await srv.client().signIn(email, PASSWORD);
  assert.equal(r.status, 429);
  const errs = pageErrors(r.text);
  assert.equal(errs.length, 1);
  assert.match(errs[0].message, LOCKED);
  assert.match(errs[0].message, /15 minutes/);
  assert.equal(r.setCookies.length, 0, 'no session for a locked account');
});

test('an unknown email address locks in exactly the same way', async () => {
  const email = 'nobody-at-all@rv3.demo.bulwark.example';
  const fails = await fail(email, 10);
  assert.ok(fails.slice(0, 9).every((r) => r.status === 401));
  assert.equal(fails[9].status, 429);
  const unknown = await srv.client().signIn(email, PASSWORD);
  const known = await srv.client().signIn(demoEmail('org_lead', 'RV3'), PASSWORD);
  assert.equal(unknown.status, known.status);
  assert.deepEqual(pageErrors(unknown.text), pageErrors(known.text));
});

test('the lock is per address: colleagues can still sign in', async () => {
  const r = await srv.client().signIn(demoEmail('staff', 'RV3'), PASSWORD);
  assert.equal(r.status, 303);
});

test('a locked account still refuses after 14 minutes', async () => {
  inst.advanceClock(14 * 60);
  const r = await srv.client().signIn(demoEmail('org_lead', 'RV3'), PASSWORD);
  assert.equal(r.status, 429);
  assert.match(pageErrors(r.text)[0].message, /Try again in [12] minutes?/);
});

test('sixteen minutes after locking, the right password works again', async () => {
  inst.advanceClock(2 * 60);
  const r = await srv.client().signIn(demoEmail('org_lead', 'RV3'), PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/');
  const c = srv.client();
  await c.signInFull(demoEmail('org_lead', 'RV3'), PASSWORD);
  assert.equal((await c.get('/')).status, 200);
});

test('failures and the lock are written to the audit log', async () => {
  const rows = await inst.sql("SELECT action, count(*) FROM audit WHERE action LIKE 'signin.%' GROUP BY action ORDER BY action");
  const counts = Object.fromEntries(rows.map((l) => l.split('\t')).map(([a, n]) => [a, Number(n)]));
  assert.ok(counts['signin.fail'] >= 29, JSON.stringify(counts));
  assert.ok(counts['signin.lock'] >= 2, JSON.stringify(counts));
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
