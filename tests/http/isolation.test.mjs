// isolation: the tenant-isolation test. It walks the whole route table
// (`bulwark routes --examples-for B` prints every route with each {param}
// filled by an object owned inside organisation B's subtree) and tries
// every route as a user of another organisation A:
//   - a route with a target must answer 403 or 404;
//   - no answer may contain the name of anything in B's subtree or the
//     address of anyone there;
//   - a state-changing request (sent with A's valid CSRF token and a
//     plausible form aimed at B) must change nothing of B's, checked with a
//     fingerprint of B's rows read straight from the database.
// New routes are covered as soon as they are registered; a route whose
// parameter has no example fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  Client, PASSWORD, assertCleanShutdown, createInstance, createToken, demoEmail, listOrgs, subtree,
} from '../lib/server.mjs';

let inst;
let srv;
let orgs;
before(async () => {
  // no background jobs: deliveries, escalations and re-matching change
  // B's rows on their own, and the fingerprint must see requests only
  inst = await createInstance('isolation', { serve: false });
  srv = inst.server = await inst.start({ extra: ['--workers', '0'] });
  orgs = await listOrgs(inst);
  // so that {token} has an example in each B, and A has tokens of its own
  await createToken(inst, demoEmail('org_lead', 'RAN'), { name: 'ran-token' });
  await createToken(inst, demoEmail('ics_lead', 'QM7'), { name: 'qm7-token' });
  await createToken(inst, demoEmail('staff', 'RP6'), { name: 'rp6-token' });
  await createToken(inst, demoEmail('org_lead', 'RAL'), { name: 'ral-token' });
  await createToken(inst, demoEmail('ics_lead', 'QMJ'), { name: 'qmj-token' });
});
after(async () => {
  await inst?.close();
});

async function routesFor(code) {
  const r = await inst.cli(['routes', '--db', inst.db.url, '--examples-for', code]);
  assert.equal(r.code, 0, `bulwark routes failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((line) => {
    const [method, pattern, kind, auth, target, example] = line.split('\t');
    return { method, pattern, kind, auth, target, example, line };
  });
}

function htmlEscape(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// What must never appear in A's answers: names and people of B's subtree.
function forbiddenFor(code) {
  const out = [];
  for (const o of subtree(orgs, code)) {
    out.push(o.name.toLowerCase(), htmlEscape(o.name).toLowerCase(), JSON.stringify(o.name).slice(1, -1).toLowerCase());
    out.push(`@${o.code.toLowerCase()}.demo.bulwark.example`);
  }
  return [...new Set(out)];
}

function leaks(text, forbidden) {
  const t = text.toLowerCase();
  return forbidden.filter((f) => t.includes(f));
}

// Every table that holds an org_id column is tenant data: its rows are
// part of the fingerprint, every column of them, whichever module owns it.
let tenantTables;
async function tenantRows(inB) {
  if (!tenantTables) {
    const cols = inst.db.kind === 'postgres'
      ? await inst.sql("SELECT table_name, column_name FROM information_schema.columns"
        + " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
      : await inst.sql("SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p"
        + " WHERE m.type = 'table' ORDER BY m.name, p.cid");
    const byTable = new Map();
    for (const line of cols) {
      const [t, c] = line.split('\t');
      if (!byTable.has(t)) byTable.set(t, []);
      byTable.get(t).push(c);
    }
    tenantTables = [...byTable].filter(([t, c]) => c.includes('org_id') && !['audit', 'users', 'org_history'].includes(t));
    assert.ok(tenantTables.some(([t]) => t === 'systems'), 'the registers are in the fingerprint');
  }
  return tenantTables.map(([t, cols]) => `UNION ALL SELECT '${t}|' || ${cols.map((c) => `COALESCE(CAST(x."${c}" AS TEXT), '')`).join(" || '|' || ")}
    FROM "${t}" x JOIN orgs o ON o.id = x.org_id, b WHERE ${inB('o.path')}`).join('\n');
}

// B's rows, read straight from the database: any change here is a breach.
async function fingerprint(code) {
  const inB = (col) => `substr(${col}, 1, length(b.path)) = b.path`;
  const q = `WITH b AS (SELECT path FROM orgs WHERE code = '${code}')
    SELECT 'org|' || o.code || '|' || o.name || '|' || o.type || '|' || o.path FROM orgs o, b WHERE ${inB('o.path')}
    UNION ALL SELECT 'user|' || u.id || '|' || u.email || '|' || u.name || '|' || u.role || '|' || u.disabled
      FROM users u JOIN orgs o ON o.id = u.org_id, b WHERE ${inB('o.path')}
    UNION ALL SELECT 'cred|' || c.user_id || '|' || COALESCE(c.password_hash, '') || '|' || COALESCE(c.totp_secret, '')
      || '|' || COALESCE(c.totp_pending, '') FROM credentials c JOIN users u ON u.id = c.user_id
      JOIN orgs o ON o.id = u.org_id, b WHERE ${inB('o.path')}
    UNION ALL SELECT 'session|' || s.id || '|' || s.user_id || '|' || s.mfa_ok FROM sessions s
      JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id, b WHERE ${inB('o.path')}
    UNION ALL SELECT 'token|' || t.id || '|' || t.name || '|' || t.can_write || '|' || COALESCE(t.revoked_at, 0)
      FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = u.org_id, b WHERE ${inB('o.path')}
    UNION ALL SELECT 'recovery|' || r.id || '|' || COALESCE(r.used_at, 0) FROM recovery_codes r
      JOIN users u ON u.id = r.user_id JOIN orgs o ON o.id = u.org_id, b WHERE ${inB('o.path')}
    UNION ALL SELECT 'audit|' || a.id || '|' || a.action FROM audit a JOIN orgs o ON o.id = a.org_id, b WHERE ${inB('o.path')}
    UNION ALL SELECT 'history|' || h.id FROM org_history h JOIN orgs o ON o.id = h.org_id, b WHERE ${inB('o.path')}
    ${await tenantRows(inB)}
    ORDER BY 1`;
  return (await inst.sql(q)).join('\n');
}

// A form that aims every plausible field at B.
async function plausibleForm(code, n) {
  const user = (await inst.sql(`SELECT u.id FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.code = '${code}' ORDER BY u.id LIMIT 1`))[0] || '1';
  return {
    name: 'Isolation Probe', email: `isolation-probe-${n}@example.org`, org: code, parent: code,
    code: `ZZISO${n}`, type: 'gp_practice', reason: 'Isolation probe', role: 'org_lead',
    password: 'Isolation-Probe-Passphrase-77', scope: 'write', user, next: `/orgs/${code}`,
  };
}

// A signed-in user of organisation A that signs in again if a route
// (sign-out, sign out everywhere) ended its session.
class Actor {
  constructor(email) {
    this.email = email;
    this.c = srv.client();
  }

  async ensure() {
    if (!this.c.cookies.size || !(await this.c.alive())) {
      this.c = srv.client();
      await this.c.signInFull(this.email, PASSWORD);
    }
    return this.c;
  }
}

// Walks every route as `actor` (a session, or a bearer token for the API)
// against B. Returns what was walked and what went wrong.
async function walk({ actor, bearer, code, getOnly = false }) {
  const routes = await routesFor(code);
  const forbidden = forbiddenFor(code);
  const bUser = (await inst.sql(`SELECT u.id FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.code = '${code}' ORDER BY u.id LIMIT 1`))[0];
  const problems = [];
  const missing = [];
  let walked = 0;
  let n = 0;
  for (const r of routes) {
    if ((bearer && r.kind !== 'api') || (getOnly && r.method !== 'GET')) continue;
    if (!r.example || r.example.includes('NO-EXAMPLE-')) {
      missing.push(r.line);
      continue;
    }
    walked++;
    n++;
    const c = bearer || (await actor.ensure());
    const where = `${r.method} ${r.example} (${r.pattern}${bearer ? ', bearer token' : ''})`;
    let res;
    let before = null;
    if (r.method === 'GET') {
      // routes without a target get B named in every query parameter they might read
      const path = r.target === '-'
        ? `${r.example}?q=${code}&parent=${code}&org=${code}&user=${bUser}`
        : r.example;
      res = await c.get(path);
    } else {
      before = await fingerprint(code);
      const form = await plausibleForm(code, n);
      if (r.kind === 'api') {
        res = await c.request(r.method, r.example, { json: form, headers: c.csrf ? { 'X-CSRF-Token': c.csrf } : {} });
      } else {
        res = await c.post(r.example, form);
      }
    }
    if (r.target !== '-' && r.auth !== 'public' && res.status !== 403 && res.status !== 404) {
      problems.push(`${where}: answered ${res.status}, not 403/404`);
    }
    if (res.status >= 500) problems.push(`${where}: answered ${res.status}`);
    const leaked = leaks(res.text + (res.location || ''), forbidden);
    if (leaked.length) problems.push(`${where}: the answer contains ${leaked.join(', ')}`);
    if (before !== null) {
      const after = await fingerprint(code);
      if (after !== before) problems.push(`${where}: changed B's data (status ${res.status})`);
    }
  }
  const total = routes.filter((r) => (!bearer || r.kind === 'api') && (!getOnly || r.method === 'GET')).length;
  return { walked, missing, problems, total };
}

function report(result, t) {
  t.diagnostic(`${result.walked} routes walked`);
  assert.deepEqual(result.missing, [], `routes with no example object for their parameter:\n${result.missing.join('\n')}`);
  assert.deepEqual(result.problems, [], `isolation failures:\n${result.problems.join('\n')}`);
  assert.ok(result.walked > 0, 'no routes were walked');
  assert.equal(result.walked, result.total, 'every route was walked');
}

let victimRan;
let victimQm7;
test('the route table is listed with an example path for every route', async () => {
  const routes = await routesFor('RAN');
  assert.ok(routes.length >= 20, `${routes.length} routes`);
  for (const r of routes) {
    assert.match(r.method, /^(GET|POST|PUT|PATCH|DELETE)$/, r.line);
    assert.match(r.kind, /^(page|api)$/, r.line);
    assert.match(r.auth, /^(public|mfa|signed-in)$/, r.line);
    assert.ok(r.example && r.example.startsWith('/'), r.line);
    assert.doesNotMatch(r.example, /[{}]/, `unfilled parameter: ${r.line}`);
  }
  assert.ok(routes.some((r) => r.target !== '-'), 'some routes have a target');
  assert.ok(routes.some((r) => r.kind === 'api'), 'API routes are listed');
  // people in B stay signed in throughout; checked at the end
  victimRan = srv.client();
  await victimRan.signInFull(demoEmail('org_lead', 'RAN'), PASSWORD);
  victimQm7 = srv.client();
  await victimQm7.signInFull(demoEmail('ics_lead', 'QM7'), PASSWORD);
});

test("control: the example paths are real — filled for A's own organisation, A's GET routes answer 200", async () => {
  const c = srv.client();
  await c.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  const routes = await routesFor('RAL');
  let checked = 0;
  for (const r of routes.filter((x) => x.method === 'GET' && x.target !== '-')) {
    const res = await c.get(r.example);
    assert.equal(res.status, 200, `${r.example}: ${res.status}`);
    checked++;
  }
  assert.ok(checked >= 3, `${checked} routes with a target`);
});

test('an organisation lead of one trust cannot reach a trust in another ICB through any route', async (t) => {
  const result = await walk({ actor: new Actor(demoEmail('org_lead', 'RAL')), code: 'RAN' });
  report(result, t);
});

test('an ICS lead cannot reach another ICS through any route', async (t) => {
  const result = await walk({ actor: new Actor(demoEmail('ics_lead', 'QMJ')), code: 'QM7' });
  report(result, t);
});

test("an organisation lead cannot reach a sibling trust in the same ICB through any route", async (t) => {
  const result = await walk({ actor: new Actor(demoEmail('org_lead', 'RAL')), code: 'RP6' });
  report(result, t);
});

test('an API token (read and write) of an organisation lead cannot reach another trust through any API route', async (t) => {
  const { token } = await createToken(inst, demoEmail('org_lead', 'RAL'), { write: true, name: 'iso-write' });
  const c = new Client(srv.base);
  c.bearer = token;
  const result = await walk({ bearer: c, code: 'RAN' });
  report(result, t);
});

test('an API token of an ICS lead cannot reach another ICS through any API route', async (t) => {
  const { token } = await createToken(inst, demoEmail('ics_lead', 'QMJ'), { write: true, name: 'iso-write-ics' });
  const c = new Client(srv.base);
  c.bearer = token;
  const result = await walk({ bearer: c, code: 'QM7' });
  report(result, t);
});

test('a GP practice cannot see its own ICB or the trusts beside it', async (t) => {
  const result = await walk({ actor: new Actor(demoEmail('org_lead', 'E83046')), code: 'RAL' });
  report(result, t);
  const c = srv.client();
  await c.signInFull(demoEmail('org_lead', 'E83046'), PASSWORD);
  const parent = await c.get('/orgs/QMJ');
  assert.equal(parent.status, 404, 'the parent ICB is out of scope');
});

test('the people of B were not signed out or changed by any of it', async () => {
  assert.equal((await victimRan.get('/')).status, 200);
  assert.equal((await victimQm7.get('/')).status, 200);
  const r = await srv.client().signIn(demoEmail('org_lead', 'RAN'), PASSWORD);
  assert.equal(r.status, 303, 'password unchanged');
});

test('control: the walk does see a breach — the ICS lead of B\'s own ICS gets through', async (t) => {
  const result = await walk({ actor: new Actor(demoEmail('ics_lead', 'QRV')), code: 'RAN', getOnly: true });
  assert.deepEqual(result.missing, []);
  const through = result.problems.filter((p) => /answered 200/.test(p));
  assert.ok(through.length >= 3, result.problems.join('\n'));
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
