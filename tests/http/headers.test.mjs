// headers: the security headers on every kind of response — pages (signed
// in or not, errors too), the JSON API, static assets and the health check —
// and pages that work under that policy (no inline script to be blocked).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail } from '../lib/server.mjs';

let inst;
let srv;
let lead;
let anon;
let bearer;
before(async () => {
  inst = await createInstance('headers');
  srv = inst.server;
  lead = srv.client();
  await lead.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  anon = srv.client();
  bearer = srv.client();
  bearer.bearer = (await createToken(inst, demoEmail('org_lead', 'RAL'))).token;
});
after(async () => {
  await inst?.close();
});

function checkHeaders(r, what) {
  const h = r.headers;
  const csp = h.get('content-security-policy');
  assert.ok(csp, `${what}: Content-Security-Policy`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: CSP allows inline code`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: frame-ancestors`);
  assert.match(csp, /(^|;)\s*(script-src|default-src) 'self'/, `${what}: scripts from self only`);
  assert.equal(h.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.ok(h.get('referrer-policy'), `${what}: Referrer-Policy`);
  assert.match(h.get('referrer-policy'), /^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin)$/);
  assert.equal(h.get('strict-transport-security'), null, `${what}: no HSTS without TLS`);
}

test('pages carry the security headers (signed out, signed in, and error pages)', async () => {
  checkHeaders(await anon.get('/sign-in'), 'GET /sign-in');
  checkHeaders(await anon.get('/users'), 'redirect to sign-in');
  checkHeaders(await lead.get('/'), 'home');
  checkHeaders(await lead.get('/orgs/RAL'), 'organisation page');
  const missing = await lead.get('/no-such-page');
  assert.equal(missing.status, 404);
  checkHeaders(missing, '404 page');
  const forbidden = await lead.get('/orgs/RAN');
  assert.equal(forbidden.status, 404);
  checkHeaders(forbidden, 'out-of-scope page');
  const refused = await lead.post('/profile/tokens', { name: 'x', scope: 'read' }, { csrf: false });
  assert.equal(refused.status, 403);
  checkHeaders(refused, '403 page');
});

test('signed-in pages are not cached', async () => {
  const r = await lead.get('/profile');
  assert.match(r.headers.get('cache-control') || '', /no-store/);
});

test('API responses carry the security headers, success and error', async () => {
  const ok = await bearer.get('/api/v1/me');
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-type'), /^application\/json/);
  checkHeaders(ok, 'GET /api/v1/me');
  const err = await anon.get('/api/v1/me');
  assert.equal(err.status, 401);
  checkHeaders(err, 'API 401');
  const nf = await bearer.get('/api/v1/nothing-here');
  assert.equal(nf.status, 404);
  checkHeaders(nf, 'API 404');
});

test('static assets carry the security headers too', async () => {
  const page = await anon.get('/sign-in');
  const assets = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.length >= 3, 'the page links its stylesheet, script and icons');
  for (const a of new Set(assets)) {
    const r = await anon.get(a);
    assert.equal(r.status, 200, a);
    checkHeaders(r, a);
  }
  const missing = await anon.get('/assets/no-such-file.css');
  assert.equal(missing.status, 404);
  checkHeaders(missing, 'missing asset');
});

test('the health check carries the security headers', async () => {
  const r = await anon.get('/healthz');
  assert.equal(r.status, 200);
  checkHeaders(r, '/healthz');
});

test('pages have no inline script or event handlers for the policy to block', async () => {
  for (const path of ['/', '/orgs/RAL', '/users', '/users/new', '/profile', '/audit']) {
    const r = await lead.get(path);
    assert.equal(r.status, 200, path);
    const scripts = [...r.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    for (const [, attrs, body] of scripts) {
      assert.match(attrs, /\bsrc="\/assets\//, `${path}: script without src`);
      assert.equal(body.trim(), '', `${path}: inline script body`);
    }
    assert.doesNotMatch(r.text, /\son[a-z]+\s*=\s*["']/i, `${path}: inline event handler`);
    assert.doesNotMatch(r.text, /\sstyle\s*=\s*["']/i, `${path}: inline style attribute (blocked by style-src)`);
  }
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
