// TLS served by the binary itself (--tls-cert/--tls-key, GnuTLS through
// libmicrohttpd): pages over HTTPS, HSTS, and the session cookie made
// Secure with the __Host- prefix. The certificate is made for this run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { join } from 'node:path';
import { createInstance, runProgram, demoEmail, PASSWORD } from '../lib/server.mjs';

let inst, srv;

function request(method, path, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: srv.port, method, path, rejectUnauthorized: false,
      headers: { ...headers, ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded',
                                         'Content-Length': Buffer.byteLength(body) } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

before(async () => {
  inst = await createInstance('tls', { serve: false });
  const cert = join(inst.dir, 'cert.pem'), key = join(inst.dir, 'key.pem');
  const r = await runProgram('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert]);
  assert.equal(r.code, 0, `openssl: ${r.stderr}`);
  srv = await inst.start({ extra: ['--tls-cert', cert, '--tls-key', key] });
});

after(async () => {
  await inst?.close();
});

test('the server answers over HTTPS and says so', async () => {
  assert.match(srv.base, /^https:/);
  const r = await request('GET', '/healthz');
  assert.equal(r.status, 200);
  assert.equal(r.text, 'ok\n');
});

test('pages over TLS carry Strict-Transport-Security', async () => {
  const r = await request('GET', '/sign-in');
  assert.equal(r.status, 200);
  assert.match(r.headers['strict-transport-security'] || '', /max-age=\d+/);
});

test('signing in over TLS sets a Secure __Host- session cookie', async () => {
  const body = new URLSearchParams({ email: demoEmail('org_lead', 'RAL'), password: PASSWORD }).toString();
  const r = await request('POST', '/sign-in', { body, headers: { Origin: srv.base } });
  assert.equal(r.status, 303);
  const cookie = (r.headers['set-cookie'] || []).join('\n');
  assert.match(cookie, /^__Host-bw_session=/m);
  assert.match(cookie, /; Secure/);
  assert.match(cookie, /HttpOnly/);
  const name = cookie.split(';')[0];
  const home = await request('GET', '/', { headers: { Cookie: name } });
  assert.equal(home.status, 200);
  assert.match(home.text, /Royal Free London NHS Foundation Trust/);
});

test('plain HTTP to the TLS port is not served', async () => {
  const r = await fetch(`http://127.0.0.1:${srv.port}/healthz`).then((x) => x.status, () => 'refused');
  assert.notEqual(r, 200);
});
