// users: an organisation lead manages the people of their organisation
// through the forms — adding someone (the password policy applies), the
// new person signing in, and disabling them, which signs them out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail } from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

let inst;
let srv;
let lead;
const NEW = {
  name: 'Grace Okafor',
  email: 'grace.okafor@ral.example.nhs.uk',
  org: 'RAL',
  role: 'contributor',
  password: 'Violet-Canal-Pebble-2290',
};
let newId = 0;

before(async () => {
  inst = await createInstance('users');
  srv = inst.server;
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
});
after(async () => {
  await inst?.close();
});

test('the add-a-user form offers only the roles an organisation lead may give', async () => {
  const r = await lead.get('/users/new');
  assert.equal(r.status, 200);
  for (const f of ['name', 'email', 'org', 'role', 'password']) assert.match(r.text, new RegExp(`name="${f}"`));
  assert.match(r.text, /value="contributor"/);
  assert.doesNotMatch(r.text, /value="admin"/);
  assert.doesNotMatch(r.text, /value="analyst"/);
});

test('a weak password is refused with an error naming the password field', async () => {
  for (const pw of ['short1!', 'password1234', 'grace.okafor2024', 'aaaaaaaaaaaaaaaa']) {
    const r = await lead.post('/users', { ...NEW, password: pw });
    assert.equal(r.status, 400, `password ${pw} accepted`);
    const errs = pageErrors(r.text);
    assert.ok(errs.some((e) => e.field === 'password'), `${pw}: ${JSON.stringify(errs)}`);
    // what was typed (except the password) is kept
    assert.match(r.text, /value="Grace Okafor"/);
  }
  const list = await lead.get('/users?q=okafor');
  assert.doesNotMatch(list.text, /<td[^>]*>grace\.okafor@/, 'nobody was added');
});

test('an organisation lead cannot add someone to another organisation or give a national role', async () => {
  const other = await lead.post('/users', { ...NEW, org: 'RAN' });
  assert.equal(other.status, 400);
  assert.ok(pageErrors(other.text).some((e) => e.field === 'org'));
  const admin = await lead.post('/users', { ...NEW, role: 'admin' });
  assert.equal(admin.status, 400);
  assert.ok(pageErrors(admin.text).some((e) => e.field === 'role'));
  const rows = await inst.sql("SELECT count(*) FROM users WHERE email = 'grace.okafor@ral.example.nhs.uk'");
  assert.deepEqual(rows, ['0']);
});

test('an organisation lead adds a user through the form', async () => {
  const r = await lead.post('/users', NEW);
  assert.equal(r.status, 303, pageErrors(r.text).map((e) => e.message).join('; '));
  const m = /^\/users\/(\d+)$/.exec(r.location);
  assert.ok(m, r.location);
  newId = Number(m[1]);
  const page = await lead.get(r.location);
  assert.equal(page.status, 200);
  assert.match(page.text, /User added/);
  assert.match(page.text, /Grace Okafor/);
  assert.match(page.text, /grace\.okafor@ral\.example\.nhs\.uk/);
  const list = await lead.get('/users?q=okafor');
  assert.match(list.text, /<td[^>]*>grace\.okafor@ral\.example\.nhs\.uk<\/td>/);
});

test('the same email address cannot be added twice', async () => {
  const r = await lead.post('/users', { ...NEW, name: 'Grace Okafor Again' });
  assert.equal(r.status, 400);
  assert.ok(pageErrors(r.text).some((e) => e.field === 'email'), JSON.stringify(pageErrors(r.text)));
});

let grace;
test('the new user can sign in with the password they were given', async () => {
  grace = srv.client();
  const r = await grace.signIn(NEW.email, NEW.password);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/');
  const home = await grace.get('/');
  assert.equal(home.status, 200);
  assert.match(home.text, /Grace Okafor/);
  assert.match(home.text, /Contributor/);
});

test('a contributor cannot manage users', async () => {
  const r = await grace.get('/users');
  assert.equal(r.status, 403);
  const n = await grace.get('/users/new');
  assert.equal(n.status, 403);
});

test('disabling a user signs them out and stops them signing in', async () => {
  const r = await lead.post(`/users/${newId}/disable`);
  assert.equal(r.status, 303);
  const page = await lead.get(`/users/${newId}`);
  assert.match(page.text, /Disabled/);
  const g = await grace.get('/');
  assert.equal(g.status, 303, 'their open session has ended');
  assert.match(g.location, /^\/sign-in/);
  const again = await srv.client().signIn(NEW.email, NEW.password);
  assert.equal(again.status, 401);
  assert.match(pageErrors(again.text)[0].message, /email address or password is not correct/);
});

test('enabling them again lets them sign in', async () => {
  const r = await lead.post(`/users/${newId}/enable`);
  assert.equal(r.status, 303);
  const again = await srv.client().signIn(NEW.email, NEW.password);
  assert.equal(again.status, 303);
});

test('changing role and setting a password through the user page', async () => {
  const r = await lead.post(`/users/${newId}/role`, { role: 'board' });
  assert.equal(r.status, 303);
  const page = await lead.get(`/users/${newId}`);
  assert.match(page.text, /Board member/);
  const weak = await lead.post(`/users/${newId}/password`, { password: 'password1234' });
  assert.equal(weak.status, 400);
  const pw = await lead.post(`/users/${newId}/password`, { password: 'Amber-Spruce-Harbour-7781' });
  assert.equal(pw.status, 303);
  assert.equal((await srv.client().signIn(NEW.email, NEW.password)).status, 401, 'the old password is gone');
  assert.equal((await srv.client().signIn(NEW.email, 'Amber-Spruce-Harbour-7781')).status, 303);
});

test('a lead cannot disable themselves', async () => {
  const list = await lead.get('/users?q=' + encodeURIComponent(demoEmail('org_lead', 'RAL')));
  const id = /href="\/users\/(\d+)"/.exec(list.text)[1];
  const r = await lead.post(`/users/${id}/disable`);
  assert.equal(r.status, 403);
  assert.equal(await lead.alive(), true);
});

test('each of these changes is in the audit log', async () => {
  const rows = await inst.sql(`SELECT action FROM audit WHERE object = 'user:${newId}' ORDER BY id`);
  const actions = rows.join(',');
  for (const a of ['user.add', 'user.disable', 'user.enable', 'user.role']) {
    assert.match(actions, new RegExp(`(^|,)${a.replace('.', '\\.')}`), `${a} in ${actions}`);
  }
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
