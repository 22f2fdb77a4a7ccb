// csrf: a state-changing request needs this session's token and a same-site
// Origin. Each refusal is checked twice: the answer (403) and, through a
// later GET, that nothing changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail } from '../lib/server.mjs';

let inst;
let srv;
let lead;
before(async () => {
  inst = await createInstance('csrf');
  srv = inst.server;
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
});
after(async () => {
  await inst?.close();
});

async function tokenListed(name) {
  const r = await lead.get('/profile');
  assert.equal(r.status, 200);
  return r.text.includes(name);
}

async function userListed(email) {
  // the search box echoes the query, so look for the address in a table cell
  const r = await lead.get(`/users?q=${encodeURIComponent(email)}`);
  assert.equal(r.status, 200);
  return new RegExp(`<td[^>]*>${email.replace(/[.]/g, '\\.')}[^<]*</td>`).test(r.text);
}

function newUser(n) {
  return {
    name: `Csrf Probe ${n}`,
    email: `csrf-probe-${n}@ral.example.nhs.uk`,
    org: 'RAL',
    role: 'staff',
    password: 'Quiet-Meadow-Copper-5512',
  };
}

test('a form posted without the CSRF token is refused and changes nothing', async () => {
  const r = await lead.post('/profile/tokens', { name: 'csrf-none', scope: 'read' }, { csrf: false });
  assert.equal(r.status, 403);
  assert.match(r.text, /did not come from this site/);
  const u = await lead.post('/users', newUser(1), { csrf: false });
  assert.equal(u.status, 403);
  assert.equal(await tokenListed('csrf-none'), false);
  assert.equal(await userListed('csrf-probe-1@ral.example.nhs.uk'), false);
});

test('a form posted with a wrong CSRF token is refused and changes nothing', async () => {
  const wrong = lead.csrf.slice(0, -4) + (lead.csrf.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const r = await lead.post('/profile/tokens', { csrf_token: wrong, name: 'csrf-wrong', scope: 'read' });
  assert.equal(r.status, 403);
  const u = await lead.post('/users', { csrf_token: wrong, ...newUser(2) });
  assert.equal(u.status, 403);
  assert.equal(await tokenListed('csrf-wrong'), false);
  assert.equal(await userListed('csrf-probe-2@ral.example.nhs.uk'), false);
});

test("another session's CSRF token does not work", async () => {
  const other = srv.client();
  await other.signInFull(demoEmail('contributor', 'RAL'), PASSWORD);
  const r = await lead.post('/profile/tokens', { csrf_token: other.csrf, name: 'csrf-other', scope: 'read' });
  assert.equal(r.status, 403);
  assert.equal(await tokenListed('csrf-other'), false);
});

test('a form posted from a foreign Origin is refused even with the right token', async () => {
  for (const origin of ['https://evil.example', `${lead.origin}.evil.example`, 'null']) {
    const r = await lead.post('/profile/tokens', { name: 'csrf-origin', scope: 'read' }, { origin });
    assert.equal(r.status, 403, origin);
    const u = await lead.post('/users', newUser(3), { origin });
    assert.equal(u.status, 403, origin);
  }
  // no Origin but a foreign Referer: the same
  const r = await lead.post('/profile/tokens', { name: 'csrf-origin', scope: 'read' },
    { origin: null, headers: { Referer: 'https://evil.example/page' } });
  assert.equal(r.status, 403);
  assert.equal(await tokenListed('csrf-origin'), false);
  assert.equal(await userListed('csrf-probe-3@ral.example.nhs.uk'), false);
});

test('the same forms with the right token and Origin do work (the refusals above are real)', async () => {
  const r = await lead.post('/profile/tokens', { name: 'csrf-good', scope: 'read' });
  assert.equal(r.status, 200);
  assert.equal(await tokenListed('csrf-good'), true);
  const u = await lead.post('/users', newUser(4));
  assert.equal(u.status, 303, u.text.slice(0, 2000));
  assert.equal(await userListed('csrf-probe-4@ral.example.nhs.uk'), true);
});

test('sign-out without the token is refused and the session stays', async () => {
  const r = await lead.post('/sign-out', {}, { csrf: false });
  assert.equal(r.status, 403);
  assert.equal(await lead.alive(), true);
});

test('a sign-in form posted from a foreign Origin is refused (no login CSRF)', async () => {
  const c = srv.client();
  const r = await c.request('POST', '/sign-in', {
    form: { email: demoEmail('staff', 'RAL'), password: PASSWORD },
    origin: 'https://evil.example',
  });
  assert.equal(r.status, 403);
  assert.equal(r.setCookies.length, 0);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
