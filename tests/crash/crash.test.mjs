// crash: SIGKILL in the middle of writes. Several browser sessions add
// users and create API tokens through the forms as fast as they can while
// the server is killed at random moments and restarted, several times.
// Afterwards every write that got a success answer must be there, every
// change must have its audit record (and no audit record its change
// missing), and `bulwark audit verify` must pass. Bounded to ~60 s.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  BACKEND, Client, PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail,
} from '../lib/server.mjs';
import { pageErrors } from '../lib/client.mjs';

const ROUNDS = 5;
const WORKERS = 6;
const BUDGET_MS = 50000;

let inst;
const committed = { users: [], tokens: [] };
let failures = 0;       // requests cut off by a kill (their outcome is unknown)
let refused = [];       // answers that were neither success nor a dropped connection

before(async () => {
  inst = await createInstance(`crash-${BACKEND}`);
});
after(async () => {
  await inst?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One session per worker; sessions live in the database, so they survive
// the restarts (a new Client with the same cookie on the new port).
async function signedInClients(base) {
  const out = [];
  for (let i = 0; i < WORKERS; i++) {
    const c = new Client(base);
    await c.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
    out.push(c);
  }
  return out;
}

function moveTo(clients, base) {
  return clients.map((old) => {
    const c = new Client(base);
    c.cookies = new Map(old.cookies);
    c.csrf = old.csrf;
    return c;
  });
}

let apiToken = null;

async function worker(c, id, round, state) {
  let n = 0;
  while (!state.stop) {
    n++;
    const tag = `r${round}w${id}n${n}`;
    try {
      if (n % 3 === 0) {
        // the same through the JSON API with a read-write token
        const email = `crash-api-${tag}@ral.example.nhs.uk`;
        const api = new Client(c.base);
        api.bearer = apiToken;
        const r = await api.request('POST', '/api/v1/users', {
          json: { name: `Crash Api ${tag}`, email, org: 'RAL', role: 'staff', password: 'Granite-Willow-Ferry-4482' },
        });
        if (r.status === 201) committed.users.push(email);
        else refused.push(`API add user: ${r.status} ${r.text.slice(0, 300)}`);
      } else if (n % 3 === 1) {
        const email = `crash-${tag}@ral.example.nhs.uk`;
        const r = await c.post('/users', {
          name: `Crash Test ${tag}`, email, org: 'RAL', role: 'staff', password: 'Granite-Willow-Ferry-4482',
        });
        if (r.status === 303 && /^\/users\/\d+$/.test(r.location || '')) committed.users.push(email);
        else refused.push(`add user: ${r.status} ${JSON.stringify(pageErrors(r.text))}`);
      } else {
        const name = `crash-${tag}`;
        const r = await c.post('/profile/tokens', { name, scope: 'read' });
        if (r.status === 200 && r.text.includes('class="bw-secret"')) committed.tokens.push(name);
        else refused.push(`create token: ${r.status} ${JSON.stringify(pageErrors(r.text))}`);
      }
    } catch {
      failures++;
      await sleep(20);
    }
  }
}

test('writes keep succeeding while the server is killed with SIGKILL and restarted', async (t) => {
  const started = Date.now();
  apiToken = (await createToken(inst, demoEmail('org_lead', 'RAL'), { write: true, name: 'crash-writer' })).token;
  let clients = await signedInClients(inst.server.base);
  for (let round = 0; round < ROUNDS && Date.now() - started < BUDGET_MS; round++) {
    const srv = inst.servers.at(-1);
    clients = moveTo(clients, srv.base);
    const state = { stop: false };
    const before = committed.users.length + committed.tokens.length;
    const workers = clients.map((c, i) => worker(c, i, round, state));
    await sleep(700 + Math.floor(Math.random() * 1500));
    await srv.kill();
    state.stop = true;
    await Promise.all(workers);
    t.diagnostic(`round ${round + 1}: ${committed.users.length + committed.tokens.length - before} writes confirmed before the kill`);
    await inst.start();
  }
  t.diagnostic(`${committed.users.length} users and ${committed.tokens.length} tokens confirmed; ${failures} requests cut off`);
  assert.deepEqual(refused, [], 'no write was refused while the server was up');
  assert.ok(committed.users.length >= 10, `only ${committed.users.length} users were added`);
  assert.ok(committed.tokens.length >= 10, `only ${committed.tokens.length} tokens were created`);
  assert.ok(failures >= 1, 'the kills interrupted some requests (else the test proves nothing)');
});

test('every write that got a success answer is still there after the kills', async () => {
  const users = new Set(await inst.sql("SELECT email FROM users WHERE email LIKE 'crash-%'"));
  const lostUsers = committed.users.filter((e) => !users.has(e));
  assert.deepEqual(lostUsers, [], 'users confirmed to the browser but lost');
  const tokens = new Set(await inst.sql("SELECT name FROM api_tokens WHERE name LIKE 'crash-%'"));
  const lostTokens = committed.tokens.filter((n) => !tokens.has(n));
  assert.deepEqual(lostTokens, [], 'tokens confirmed to the browser but lost');
});

test('the restarted server serves the confirmed writes', async () => {
  const c = inst.servers.at(-1).client();
  await c.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  const last = committed.users.at(-1);
  const r = await c.get(`/users?q=${encodeURIComponent(last)}`);
  assert.equal(r.status, 200);
  assert.ok(r.text.includes(last));
  // and a confirmed user can sign in
  const first = committed.users[0];
  const s = await inst.servers.at(-1).client().signIn(first, 'Granite-Willow-Ferry-4482');
  assert.equal(s.status, 303);
});

test('every change has its audit record and every audit record its change', async () => {
  const usersWithoutAudit = await inst.sql(`SELECT u.email FROM users u WHERE u.email LIKE 'crash-%'
    AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'user.add' AND a.object = 'user:' || u.id)`);
  assert.deepEqual(usersWithoutAudit, []);
  const tokensWithoutAudit = await inst.sql(`SELECT t.name FROM api_tokens t WHERE t.name LIKE 'crash-%'
    AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'token.create' AND a.object = 'token:' || t.id)`);
  assert.deepEqual(tokensWithoutAudit, []);
  const auditWithoutUser = await inst.sql(`SELECT a.id FROM audit a WHERE a.action = 'user.add'
    AND NOT EXISTS (SELECT 1 FROM users u WHERE a.object = 'user:' || u.id)`);
  assert.deepEqual(auditWithoutUser, []);
});

test('no user is left half-added: everyone added has a password', async () => {
  const noPassword = await inst.sql(`SELECT u.email FROM users u WHERE u.email LIKE 'crash-%'
    AND NOT EXISTS (SELECT 1 FROM credentials c WHERE c.user_id = u.id AND c.password_hash IS NOT NULL)`);
  assert.deepEqual(noPassword, [], 'users created by "Add user" whose password was never stored: they can never sign in, and adding them again says the address is taken');
});

test('`bulwark audit verify` passes after the kills', async () => {
  const r = await inst.cli(['audit', 'verify', '--db', inst.db.url]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /intact/);
});

test('the last server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
