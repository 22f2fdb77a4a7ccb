// outbox crash: SIGKILL the server while it delivers e-mail, many times at
// random moments, restart it, and check what reached the SMTP sink (npm
// smtp-server, slowed a little so kills land mid-delivery): no message is
// lost; a message that arrived twice carries the same Message-ID both times,
// so a receiver can drop it; and there are no more duplicates than kills,
// since only the one message between "the sink said 250" and "the row is
// marked sent" can be sent again (the window no sender can close; see
// ../shared/DESIGN.md, Outbox). Bounded to about a minute.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { BACKEND, createInstance } from '../lib/server.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';

const KILLS = 8;
const ADVISORIES = 10;
const SINK_DELAY_MS = 4;     // per message: the window a kill can land in
const BUDGET_MS = 60000;
const LEASES_S = 3700;

let inst;
let sink;
const mails = [];            // accepted by the sink: the receiver's view
const sentAtKill = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  sink = await startSmtpSink((m) => mails.push({ to: m.to[0], messageId: m.messageId, advisory: m.advisory }),
    { delayMs: SINK_DELAY_MS });
  process.env.BULWARK_SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
  process.env.BULWARK_MAIL_FROM = 'alerts@bulwark.test';
  inst = await createInstance(`crash-outbox-${BACKEND}`, { serve: false });
});
after(async () => {
  await inst?.close();
  await sink?.close();
});

// What core's publish leaves: the advisory, its targets (every organisation
// with contacts) and the outbox's INSERT ... SELECT (src/alerts/outbox.c).
async function publish(id, seq) {
  const now = inst.now();
  const content = JSON.stringify({ title: `Crash test ${id}`, summary: 'Nothing to do.', type: 'bulletin', severity: 'low' });
  await inst.sql(`INSERT INTO advisories (id, prefix, seq, owner_org_id, state, revision, title, type, severity, tlp,
    ack_hours, update_days, draft, created_by, created_at, updated_at) VALUES ('${id}', 'CC', ${seq},
    (SELECT id FROM orgs WHERE code = 'NATIONAL'), 'published', 1, 'x', 'bulletin', 'low', 'TLP:CLEAR', 0, 3, '{}',
    'test', ${now}, ${now})`);
  await inst.sql(`INSERT INTO advisory_revisions (advisory_id, revision, published_at, published_by, tlp, content)
    VALUES ('${id}', 1, ${now}, 'test', 'TLP:CLEAR', '${content}')`);
  await inst.sql(`INSERT INTO advisory_targets (advisory_id, org_id, revision)
    SELECT DISTINCT '${id}', org_id, 1 FROM alert_contacts`);
  await inst.sql(`INSERT INTO deliveries (idem_key, advisory_id, revision, reason, org_id, contact_id, channel,
    recipient, state, attempts, next_at, created_at)
    SELECT CAST('${id}' AS TEXT) || '.r1.published.' || CAST(t.org_id AS TEXT) || '.' || CAST(c.id AS TEXT),
      '${id}', 1, 'published', t.org_id, c.id, c.kind, c.address, 'queued', 0, ${now}, ${now}
    FROM advisory_targets t JOIN alert_contacts c ON c.org_id = t.org_id AND c.role = 'alerts'
    WHERE t.advisory_id = '${id}' AND c.kind = 'email'`);
}

// e-mail only: no Notify key is configured here, so texts stay queued
const count = async (where) => Number((await inst.sql(`SELECT count(*) FROM deliveries WHERE channel = 'email' AND ${where}`))[0]);

test('killed mid-delivery again and again, the outbox loses nothing and repeats only what was in flight', async () => {
  const start = Date.now();
  for (let i = 1; i <= ADVISORIES; i++) await publish(`CC-${String(8000 + i)}`, 8000 + i);
  let total = await count('1 = 1');
  assert.ok(total >= 300, `${total} deliveries`);

  let kills = 0;
  for (let k = 0; k < KILLS && Date.now() - start < BUDGET_MS / 2; k++) {
    // a killed worker's deliveries (and its job) stay leased: the restart's
    // clock is past both leases (the job runner holds a job for the longest
    // lease of any kind, up to half an hour)
    inst.advanceClock(LEASES_S);
    const srv = await inst.start();
    const before = await count(`state = 'sent'`);
    if (before === total) {
      await srv.stop();
      break;
    }
    await sleep(300 + Math.floor(Math.random() * 1200));
    await srv.kill();
    kills++;
    sentAtKill.push(await count(`state = 'sent'`));
  }
  assert.ok(kills >= 3, `${kills} kills`);
  assert.ok(sentAtKill.some((n) => n > 0 && n < total), `some kill landed mid-delivery: ${sentAtKill.join(', ')} of ${total}`);

  // the last run finishes the job
  inst.advanceClock(LEASES_S);
  const srv = await inst.start();
  const end = Date.now() + BUDGET_MS;
  // (escalations of the demo's overdue responses may add messages as the clock moves)
  while ((await count(`state = 'sent'`)) < (await count('1 = 1')) && Date.now() < end) await sleep(300);
  await sleep(300);
  await srv.stop();
  total = await count('1 = 1');

  assert.equal(await count(`state = 'sent'`), total, 'every delivery marked sent');
  assert.equal(await count(`state = 'failed'`), 0);
  const keys = new Map((await inst.sql(`SELECT idem_key, recipient FROM deliveries WHERE channel = 'email'`)).map((l) => l.split('\t')));
  const ids = new Map();
  for (const m of mails) {
    const key = /^<(.*)@bulwark\.test>$/.exec(m.messageId || '')?.[1];
    assert.ok(key && keys.has(key), `a message with an unknown Message-ID: ${m.messageId}`);
    assert.equal(m.to, keys.get(key), 'the Message-ID belongs to this recipient');
    ids.set(key, (ids.get(key) || 0) + 1);
  }
  // nothing lost: every delivery arrived at least once
  assert.equal(ids.size, total, `${total - ids.size} messages lost`);
  // each recipient heard about each of this test's advisories (one message
  // per recipient each) under one Message-ID only, however often it came
  const perAdvisory = new Map();
  for (const m of mails.filter((x) => /^CC-8/.test(x.advisory || ''))) {
    const k = `${m.to} ${m.advisory}`;
    if (!perAdvisory.has(k)) perAdvisory.set(k, new Set());
    perAdvisory.get(k).add(m.messageId);
  }
  for (const [k, s] of perAdvisory) assert.equal(s.size, 1, `${k} under ${[...s].join(', ')}`);
  const duplicates = mails.length - ids.size;
  console.log(`${total} deliveries, ${kills} kills, ${duplicates} duplicates; sent at each kill: ${sentAtKill.join(', ')}`);
  assert.ok(duplicates <= kills, `${duplicates} duplicates after ${kills} kills`);
  const problems = inst.shutdownProblems();
  assert.deepEqual(problems, [], problems.join('\n----\n'));
});
