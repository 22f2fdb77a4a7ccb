// The operator's commands on a real instance: init, the 2026 ICB
// reorganisation (org merge), backup and restore while serving, and
// migrate from SQLite to PostgreSQL — each checked by what a person would
// look at afterwards: the organisations, the audit chain, a sign-in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInstance, Instance, runProgram, BACKEND, BIN, PASSWORD, demoEmail } from '../lib/server.mjs';

let inst;

before(async () => {
  inst = await createInstance('cli');
});

after(async () => {
  await inst?.close();
});

test('`bulwark org merge` applies the 1 April 2026 ICB reorganisation in one go, history kept', async () => {
  const dry = await inst.cliOk(['org', 'merge', '--db', inst.db.url, '--dry-run']);
  assert.match(dry.stdout, /3 new ICBs, 30 organisations to move/);
  assert.deepEqual(await inst.sql("SELECT count(*) FROM org_history"), ['0'], 'a dry run changes nothing');

  const r = await inst.cliOk(['org', 'merge', '--db', inst.db.url]);
  assert.match(r.stdout, /Done/);
  // North Central and North West London merged into one ICB, Hertfordshire and West Essex split in two
  const parents = await inst.sql(
    "SELECT p.code, count(*) FROM orgs o JOIN orgs p ON p.id = o.parent_id WHERE p.type = 'ics' GROUP BY p.code ORDER BY p.code");
  assert.deepEqual(parents, ['D7T5G\t4', 'S1Y5D\t6', 'Z9B2Z\t20']);
  assert.deepEqual(await inst.sql("SELECT count(*) FROM org_history"), ['30']);
  const trust = await inst.sql("SELECT p.code FROM orgs o JOIN orgs p ON p.id = o.parent_id WHERE o.code = 'RAL'");
  assert.deepEqual(trust, ['Z9B2Z']);
  const v = await inst.cli(['audit', 'verify', '--db', inst.db.url]);
  assert.equal(v.code, 0, v.stdout + v.stderr);

  // the moved trust's lead now sees the new ICB above them, and still their own data only
  const c = inst.server.client();
  await c.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
  const page = await c.get('/orgs/RAL');
  assert.equal(page.status, 200);
  assert.equal((await c.get('/orgs/Z9B2Z')).status, 404);

  // running it again finds nothing left to do and changes nothing
  const again = await inst.cliOk(['org', 'merge', '--db', inst.db.url]);
  assert.match(again.stdout, /0 new ICBs, 0 organisations to move/);
  assert.deepEqual(await inst.sql("SELECT count(*) FROM org_history"), ['30']);
});

test('a mapping file with a mistake is refused with its line and column, and nothing changes', async () => {
  const file = join(inst.dir, 'map.csv');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, 'old_code,new_code\nRAL,NOT A CODE\n');
  const before = await inst.sql('SELECT count(*) FROM org_history');
  const r = await inst.cli(['org', 'merge', '--db', inst.db.url, '--mapping', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 2/);
  assert.match(r.stderr, /new_code/);
  assert.deepEqual(await inst.sql('SELECT count(*) FROM org_history'), before);
});

test('unknown flags and commands fail loudly', async () => {
  const r = await inst.cli(['org', 'list', '--db', inst.db.url, '--frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--frobnicate'/);
  const h = await runProgram(BIN, ['help', 'backup']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /bulwark backup --db FILE --out FILE/);
  const n = await runProgram(BIN, ['no-such-command']);
  assert.equal(n.code, 2);
});

if (BACKEND === 'sqlite') {
  test('`bulwark backup` copies a live database consistently; restore refuses a live one without --force', async () => {
    const c = inst.server.client();
    await c.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
    const out = join(inst.dir, 'backup.db');
    // writes go on while the copy is taken
    const writes = (async () => {
      for (let i = 0; i < 15; i++) {
        await c.post('/users', { name: `Backup Test ${i}`, email: `backup${i}@ral.example.nhs.uk`, org: 'RAL',
                                     role: 'staff', password: 'Quince-Harbour-Lantern-88' });
      }
    })();
    const r = await inst.cliOk(['backup', '--db', inst.db.url, '--out', out]);
    await writes;
    assert.match(r.stdout, /Backed up/);
    const v = await runProgram(BIN, ['audit', 'verify', '--db', out]);
    assert.equal(v.code, 0, `the copy's audit chain: ${v.stdout}${v.stderr}`);
    const ic = await runProgram('sqlite3', [out, 'PRAGMA integrity_check']);
    assert.equal(ic.stdout.trim(), 'ok');

    const live = await inst.cli(['restore', '--from', out, '--db', inst.db.url]);
    assert.notEqual(live.code, 0, 'restoring over a database in use must be refused');
    assert.match(live.stderr, /refused/);

    const target = join(inst.dir, 'restored.db');
    const ok = await inst.cliOk(['restore', '--from', out, '--db', target]);
    assert.match(ok.stdout, /Restored/);
    assert.ok(existsSync(target));
    const users = await runProgram('sqlite3', [target, "SELECT count(*) FROM users WHERE email = 'org_lead@ral.demo.bulwark.example'"]);
    assert.equal(users.stdout.trim(), '1');
  });
}

if (BACKEND === 'postgres') {
  test('`bulwark migrate` copies a SQLite instance to PostgreSQL, and it serves from there', async () => {
    const src = new Instance('migsrc');
    try {
      src.db = { kind: 'sqlite', url: join(src.dir, 'bulwark.db'), async drop() {} };
      await src.cliOk(['demo', '--db', src.db.url, '--password-file', src.passwordFile]);
      const dst = await (await import('../lib/server.mjs')).createDatabase('migdst', src.dir);
      try {
        const r = await src.cliOk(['migrate', '--from', `sqlite:${src.db.url}`, '--to', dst.url]);
        assert.match(r.stdout, /audit chain on the copy intact/);
        assert.doesNotMatch(r.stdout, /MISMATCH/);
        const target = new Instance('migdst');
        target.db = dst;
        const s = await target.start();
        const c = s.client();
        await c.signInFull(demoEmail('org_lead', 'RAL'), PASSWORD);
        assert.equal((await c.get('/orgs/RAL')).status, 200);
        // new rows get fresh ids after the copied ones
        await target.cliOk(['org', 'add', '--db', dst.url, '--code', 'NEW1', '--name', 'After Migration',
                            '--type', 'other', '--parent', 'NATIONAL']);
        await target.stopAll();
        const again = await src.cli(['migrate', '--from', `sqlite:${src.db.url}`, '--to', dst.url]);
        assert.notEqual(again.code, 0, 'migrating into a database that is not empty is refused');
      } finally {
        await dst.drop();
      }
    } finally {
      await src.close();
    }
  });
}
