// audit: changes made through the web land in the hash-chained audit log,
// the log page is scoped to one's subtree, `bulwark audit verify` passes on
// the untouched chain and names the record someone edited behind its back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail } from '../lib/server.mjs';

let inst;
let srv;
let lead;
before(async () => {
  inst = await createInstance('audit');
  srv = inst.server;
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  // some changes: a user added, a token made, a failed sign-in, someone else's sign-in
  const add = await lead.post('/users', {
    name: 'Audit Trail', email: 'audit.trail@ral.example.nhs.uk', org: 'RAL', role: 'staff',
    password: 'Harvest-Lagoon-Tinsel-6620',
  });
  if (add.status !== 303) throw new Error(`adding a user gave ${add.status}`);
  await lead.post('/profile/tokens', { name: 'audit-token', scope: 'read' });
  await srv.client().signIn(demoEmail('staff', 'RAL'), 'Wrong-password-here-1');
  await srv.client().signInFull(demoEmail('org_lead', 'RAN'), PASSWORD);
});
after(async () => {
  await inst?.close();
});

test("an organisation lead's audit page shows their organisation's records", async () => {
  const r = await lead.get('/audit');
  assert.equal(r.status, 200);
  assert.match(r.text, /audit\.trail@ral\.example\.nhs\.uk/);
  assert.match(r.text, /signin\.fail/);
  assert.match(r.text, /user\.add · RAL</);
});

test("the audit page does not show another organisation's records", async () => {
  const r = await lead.get('/audit');
  assert.doesNotMatch(r.text, /org_lead@ran\.demo\.bulwark\.example/);
  assert.doesNotMatch(r.text, / · RAN</);
  const ran = srv.client();
  await ran.signInFull(demoEmail('org_lead', 'RAN'), PASSWORD);
  const other = await ran.get('/audit');
  assert.equal(other.status, 200);
  assert.doesNotMatch(other.text, /audit\.trail@ral/);
  assert.match(other.text, /org_lead@ran\.demo\.bulwark\.example/);
});

test('staff cannot read the audit log', async () => {
  const c = srv.client();
  await c.signInFull(demoEmail('staff', 'RAL'), PASSWORD);
  assert.equal((await c.get('/audit')).status, 403);
});

test('`bulwark audit verify` passes after the changes made through the web', async () => {
  const r = await inst.cli(['audit', 'verify', '--db', inst.db.url]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /intact/);
  const n = Number((/(\d+) records/.exec(r.stdout) || [])[1]);
  assert.ok(n >= 5, r.stdout);
});

test('editing one audit record behind the server\'s back is detected and the record named', async () => {
  await inst.stopAll();
  const original = (await inst.sql('SELECT summary FROM audit WHERE id = 3'))[0];
  await inst.sql("UPDATE audit SET summary = 'x' WHERE id = 3");
  const r = await inst.cli(['audit', 'verify', '--db', inst.db.url]);
  assert.notEqual(r.code, 0, 'verify must fail');
  assert.match(r.stdout + r.stderr, /record 3\b/);
  // putting the text back makes the chain whole again: it is the content that is checked
  await inst.sql(`UPDATE audit SET summary = '${original.replace(/'/g, "''")}' WHERE id = 3`);
  const back = await inst.cli(['audit', 'verify', '--db', inst.db.url]);
  assert.equal(back.code, 0, back.stdout + back.stderr);
});

test('deleting the newest audit record is detected too', async () => {
  const max = Number((await inst.sql('SELECT max(id) FROM audit'))[0]);
  await inst.sql(`DELETE FROM audit WHERE id = ${max}`);
  const r = await inst.cli(['audit', 'verify', '--db', inst.db.url]);
  assert.notEqual(r.code, 0, r.stdout);
});

test('the server stopped cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
