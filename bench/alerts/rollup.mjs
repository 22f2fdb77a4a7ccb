// bench/alerts/rollup.mjs: the time to render the analyst's roll-up page
// (/orgs/{national}/advisories/CC-0001/responses) for the alert that
// bench-alerts published to every organisation and answered for (most
// acknowledged, some applicable, some closed). Adds an analyst to the
// database bench-alerts left, starts the real server on it (no background
// worker, so nothing else competes), signs in with a second factor as a
// browser would, renders the page a few times to warm up and then RENDERS
// times, and prints one Markdown row: median and 99th percentile, and the
// server's CPU time per render (the machine is shared).
//   node bench/alerts/rollup.mjs BIN DB [RENDERS] [BACKEND-NAME]
//   ROLLUP_PAGE=FILE also keeps the last page rendered
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, pageSecret } from '../../tests/lib/client.mjs';
import { totp } from '../../tests/lib/totp.mjs';

const [BIN, DB, RENDERS_ARG, BACKEND = 'SQLite'] = process.argv.slice(2);
const RENDERS = Number(RENDERS_ARG || 50);
const WARM = 3;
const NATIONAL = 'B000001';
const ADVISORY = 'CC-0001';
const PASSWORD = 'Lantern-Harbour-Quince-4071';
const EMAIL = `analyst-${process.pid}@bench.bulwark.example`;   // a fresh one each run: no second factor yet

function run(args) {
  return new Promise((res, rej) => {
    const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`bulwark ${args[0]} exited ${code}: ${out}`))));
  });
}

function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;   // utime, stime in clock ticks (USER_HZ = 100)
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const dir = mkdtempSync(join(tmpdir(), 'bench-rollup-'));
let server;
try {
  const pw = join(dir, 'password');
  writeFileSync(pw, `${PASSWORD}\n`, { mode: 0o600 });
  await run(['init', '--db', DB, '--admin-email', 'admin@bench.bulwark.example', '--admin-name', 'Bench admin',
    '--password-file', pw]);
  await run(['user', 'add', '--db', DB, '--email', EMAIL, '--name', 'Bench analyst', '--org', NATIONAL,
    '--role', 'analyst', '--password-file', pw]);

  server = spawn(BIN, ['serve', '--db', DB, '--port', '0', '--workers', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const base = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`the server did not start: ${log.slice(-2000)}`)), 60000);
    const look = (d) => {
      log += d;
      const m = /serving on (https?):\/\/([^:/]+):(\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        res(`${m[1]}://127.0.0.1:${m[3]}`);
      }
    };
    server.stdout.on('data', look);
    server.stderr.on('data', look);
    server.on('exit', (code) => rej(new Error(`the server exited (${code}): ${log.slice(-2000)}`)));
  });

  const c = new Client(base);
  const r = await c.signIn(EMAIL, PASSWORD);
  if (r.status !== 303) throw new Error(`sign-in gave ${r.status}`);
  if (r.location === '/mfa/setup') {
    const setup = await c.get('/mfa/setup');
    const done = await c.post('/mfa/setup', { code: totp(pageSecret(setup.text), Math.floor(Date.now() / 1000)) });
    if (done.status !== 200) throw new Error(`enrolment gave ${done.status}`);
  }
  const path = `/orgs/${NATIONAL}/advisories/${ADVISORY}/responses`;
  const times = [];
  let cpu0 = 0;
  for (let i = 0; i < WARM + RENDERS; i++) {
    if (i === WARM) cpu0 = cpuSeconds(server.pid);
    const t0 = process.hrtime.bigint();
    const page = await c.get(path);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // the page a user would see: the counts, the chart, the first page of organisations
    if (page.status !== 200 || !page.text.includes(`Responses to ${ADVISORY}`) || !page.text.includes('<svg')) {
      throw new Error(`${path} gave ${page.status}: ${page.text.slice(0, 500)}`);
    }
    if (i >= WARM) times.push(ms);
  }
  const cpu = cpuSeconds(server.pid) - cpu0;
  times.sort((a, b) => a - b);
  const last = (await c.get(path)).text;
  if (process.env.ROLLUP_PAGE) writeFileSync(process.env.ROLLUP_PAGE, last);   // to compare two builds' pages
  const sent = Number(/Of (\d+) organisations/.exec(last)?.[1] ?? 0).toLocaleString('en-GB');
  console.log(`| Analyst's roll-up page of the alert (${BACKEND}): counts, 30-day chart and first page of ${sent}`
    + ` organisations, over HTTP | p50 ${pct(times, 50).toFixed(0)} ms, p99 ${pct(times, 99).toFixed(0)} ms`
    + ` (${RENDERS} renders; ${((cpu * 1000) / RENDERS).toFixed(0)} CPU ms each in the server) | | |`);
} finally {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
