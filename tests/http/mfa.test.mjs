// mfa: the second factor. Administrators must enrol TOTP at their first
// sign-in; codes are computed here from the secret the page shows, at the
// server's (test) clock, exactly as an authenticator app would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail, totp } from '../lib/server.mjs';
import { pageErrors, pageRecoveryCodes, pageSecret } from '../lib/client.mjs';

let inst;
let srv;
const ADMIN = demoEmail('admin', 'NATIONAL');
let secret = null;
let recovery = [];
let lastCode = null;

before(async () => {
  inst = await createInstance('mfa');
  srv = inst.server;
});
after(async () => {
  await inst?.close();
});

// Moves the clock to the next 30-second step so a fresh code exists.
function nextStep() {
  inst.advanceClock(30);
}

let admin;
test('an administrator signing in for the first time is sent to set up two-factor', async () => {
  admin = srv.client();
  const r = await admin.signIn(ADMIN, PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/mfa/setup');
});

test('before enrolling, the administrator cannot reach any page or the API', async () => {
  for (const path of ['/', '/users', '/orgs/NATIONAL', '/audit', '/profile']) {
    const r = await admin.get(path);
    assert.equal(r.status, 303, path);
    assert.match(r.location, /^\/mfa/, path);
  }
  const api = await admin.get('/api/v1/me');
  assert.equal(api.status, 401);
  // and /mfa, the code prompt, sends them on to enrolment
  const m = await admin.get('/mfa');
  assert.equal(m.status, 303);
  assert.equal(m.location, '/mfa/setup');
});

test('the set-up page shows a QR code and the secret in groups of four', async () => {
  const r = await admin.get('/mfa/setup');
  assert.equal(r.status, 200);
  assert.match(r.text, /<svg[^>]*role="img"/);
  const shown = /<code class="bw-secret">([^<]+)<\/code>/.exec(r.text)[1];
  assert.match(shown, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
  secret = pageSecret(r.text);
  assert.ok(secret.length >= 16);
  // reloading the page keeps the same secret (the user may have scanned it)
  const again = await admin.get('/mfa/setup');
  assert.equal(pageSecret(again.text), secret);
});

test('a wrong code is refused and does not enrol', async () => {
  const right = totp(secret, inst.now());
  const wrong = String((Number(right) + 500000) % 1000000).padStart(6, '0');
  const r = await admin.post('/mfa/setup', { code: wrong });
  assert.equal(r.status, 400);
  const errs = pageErrors(r.text);
  assert.equal(errs[0].field, 'code');
  assert.match(errs[0].message, /not correct/);
  assert.equal((await admin.get('/')).status, 303, 'still no access');
});

test('the right code enrols and shows ten recovery codes once', async () => {
  lastCode = totp(secret, inst.now());
  const r = await admin.post('/mfa/setup', { code: lastCode });
  assert.equal(r.status, 200);
  recovery = pageRecoveryCodes(r.text);
  assert.equal(recovery.length, 10, r.text.slice(-3000));
  assert.equal(new Set(recovery).size, 10, 'all different');
  const home = await admin.get('/');
  assert.equal(home.status, 200, 'the session is now complete');
  const me = await admin.get('/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.json().data.role, 'admin');
  // the set-up page is not offered again
  const again = await admin.get('/mfa/setup');
  assert.equal(again.status, 303);
});

test('after signing out, signing in again asks for the code', async () => {
  await admin.refreshCsrf('/');
  assert.equal((await admin.post('/sign-out')).status, 303);
  const c = srv.client();
  const r = await c.signIn(ADMIN, PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/mfa');
  assert.equal((await c.get('/')).status, 303, 'no access before the code');
  const page = await c.get('/mfa');
  assert.equal(page.status, 200);
  assert.match(page.text, /Enter your security code/);
  nextStep();
  lastCode = totp(secret, inst.now());
  const m = await c.post('/mfa', { code: lastCode });
  assert.equal(m.status, 303);
  assert.equal(m.location, '/');
  assert.equal((await c.get('/')).status, 200);
});

test('a code that was already used is refused', async () => {
  const c = srv.client();
  await c.signIn(ADMIN, PASSWORD);
  await c.get('/mfa');
  const r = await c.post('/mfa', { code: lastCode });
  assert.equal(r.status, 400);
  assert.match(pageErrors(r.text)[0].message, /already been used/);
  assert.equal((await c.get('/')).status, 303);
});

test('a wrong code at sign-in is refused', async () => {
  const c = srv.client();
  await c.signIn(ADMIN, PASSWORD);
  await c.get('/mfa');
  const good = totp(secret, inst.now() + 30);
  const bad = String((Number(good) + 123457) % 1000000).padStart(6, '0');
  const r = await c.post('/mfa', { code: bad });
  assert.equal(r.status, 400);
  assert.equal(pageErrors(r.text)[0].field, 'code');
  assert.equal((await c.get('/')).status, 303);
});

test('a recovery code signs in once, and only once', async () => {
  const c = srv.client();
  await c.signIn(ADMIN, PASSWORD);
  await c.get('/mfa');
  const r = await c.post('/mfa', { code: recovery[3] });
  assert.equal(r.status, 303);
  assert.equal((await c.get('/')).status, 200);

  const d = srv.client();
  await d.signIn(ADMIN, PASSWORD);
  await d.get('/mfa');
  const again = await d.post('/mfa', { code: recovery[3] });
  assert.equal(again.status, 400);
  assert.equal((await d.get('/')).status, 303);
  // another unused one still works
  const other = await d.post('/mfa', { code: recovery[7] });
  assert.equal(other.status, 303);
});

test('the second-factor step times out after ten minutes', async () => {
  const c = srv.client();
  await c.signIn(ADMIN, PASSWORD);
  inst.advanceClock(11 * 60);
  const r = await c.get('/mfa');
  assert.equal(r.status, 303);
  assert.match(r.location, /^\/sign-in/);
});

test('an organisation lead without two-factor goes straight in, and can enrol from the profile', async () => {
  const c = srv.client();
  const r = await c.signIn(demoEmail('org_lead', 'RAL'), PASSWORD);
  assert.equal(r.location, '/');
  await c.refreshCsrf();
  const setup = await c.get('/profile/mfa');
  assert.equal(setup.status, 200);
  const s = pageSecret(setup.text);
  const e = await c.post('/profile/mfa', { code: totp(s, inst.now()) });
  assert.equal(e.status, 200);
  assert.equal(pageRecoveryCodes(e.text).length, 10);
  const d = srv.client();
  const again = await d.signIn(demoEmail('org_lead', 'RAL'), PASSWORD);
  assert.equal(again.location, '/mfa', 'now asked for the code');
});

test('enrolment and recovery-code use are in the audit log', async () => {
  const rows = await inst.sql("SELECT action FROM audit WHERE action IN ('mfa.enrol', 'mfa.recovery') ORDER BY id");
  assert.deepEqual(rows, ['mfa.enrol', 'mfa.recovery', 'mfa.recovery', 'mfa.enrol']);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
