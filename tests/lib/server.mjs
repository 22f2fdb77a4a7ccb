// server: the shared harness of the HTTP, crash and browser tiers. It makes a
// throw-away instance (a fresh database, SQLite file or PostgreSQL database,
// seeded with the small demo estate and one known password), starts and
// stops real `bulwark serve` processes on free ports, runs CLI commands and
// SQL against the same database, and moves the test clock. Every test file
// makes its own instance, so files never see each other's state.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { Client } from './client.mjs';

export { Client } from './client.mjs';
export { totp, base32Decode } from './totp.mjs';

export const BIN = resolve(process.env.BULWARK_BIN || 'build/test/bulwark');
export const BACKEND = process.env.BULWARK_TEST_BACKEND || 'sqlite';
// Every demo user gets this one; it passes the password policy.
export const PASSWORD = 'Lantern-Harbour-Quince-4071';

// Demo accounts follow one pattern: <role>@<org code>.demo.bulwark.example
export function demoEmail(role, code) {
  return `${role}@${code.toLowerCase()}.demo.bulwark.example`;
}

// A sanitizer or UB report in a server's stderr is a failure of the run.
const SANITIZER = /AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/;

// run: a CLI or helper program, resolved with its exit status and output.
export function runProgram(cmd, args, { env = {}, input, timeoutMs = 120000 } = {}) {
  return new Promise((resolveP, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveP({ code, signal, stdout, stderr });
    });
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
  });
}

function pgUrlFor(base, dbname) {
  const u = new URL(base);
  u.pathname = '/' + dbname;
  return u.toString();
}

// A database for one test file: { kind, url, drop() }.
export async function createDatabase(tag, dir) {
  if (BACKEND === 'postgres') {
    const admin = process.env.BULWARK_TEST_PG_ADMIN;
    const base = process.env.BULWARK_TEST_PG;
    if (!admin || !base) throw new Error('BULWARK_TEST_PG and BULWARK_TEST_PG_ADMIN must be set for postgres');
    const name = `bw_${tag.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${randomBytes(3).toString('hex')}`;
    const r = await runProgram('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', `CREATE DATABASE ${name}`]);
    if (r.code !== 0) throw new Error(`CREATE DATABASE ${name} failed: ${r.stderr}`);
    return {
      kind: 'postgres',
      url: pgUrlFor(base, name),
      async drop() {
        await runProgram('psql', [admin, '-qAt', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
      },
    };
  }
  return { kind: 'sqlite', url: join(dir, 'bulwark.db'), async drop() {} };
}

// One running `bulwark serve`.
export class Server {
  constructor(instance, proc) {
    this.instance = instance;
    this.proc = proc;
    this.port = 0;
    this.base = '';
    this.log = '';           // the last part of stderr, for failure messages
    this.sanitizer = '';     // the first sanitizer report seen, if any
    this.killed = false;
    this.exit = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
    proc.stderr.on('data', (d) => {
      const s = d.toString();
      this.log = (this.log + s).slice(-200000);
      if (!this.sanitizer && SANITIZER.test(s)) this.sanitizer = s.slice(0, 4000);
    });
  }

  client() {
    return new Client(this.base);
  }

  // SIGTERM and wait; SIGKILL if it does not stop within 10 s.
  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exit;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => { this.killed = true; this.proc.kill('SIGKILL'); }, 10000);
    const r = await this.exit;
    clearTimeout(t);
    return r;
  }

  // SIGKILL at once (the crash test), and wait for the process to go.
  async kill() {
    this.killed = true;
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    return this.exit;
  }
}

// A throw-away Bulwark: temp dir, password file, clock file, database.
export class Instance {
  constructor(tag) {
    this.tag = tag;
    this.dir = mkdtempSync(join(tmpdir(), `bulwark-${tag}-`));
    this.passwordFile = join(this.dir, 'password');
    writeFileSync(this.passwordFile, PASSWORD + '\n', { mode: 0o600 });
    this.clockFile = join(this.dir, 'clock');
    this.offset = 0;
    this.writeClock();
    this.servers = [];
    this.exits = [];
    this.db = null;
  }

  env() {
    return { BULWARK_TEST_CLOCK: this.clockFile };
  }

  // The server re-reads the file on every bw_now(): write it atomically so
  // it never sees a half-written number.
  writeClock() {
    const tmp = this.clockFile + '.tmp';
    writeFileSync(tmp, `${this.offset}\n`);
    renameSync(tmp, this.clockFile);
  }

  advanceClock(seconds) {
    this.offset += seconds;
    this.writeClock();
  }

  // The server's idea of now, in Unix seconds (for TOTP codes).
  now() {
    return Math.floor(Date.now() / 1000) + this.offset;
  }

  cli(args, opts = {}) {
    return runProgram(BIN, args, { ...opts, env: { ...this.env(), ...(opts.env || {}) } });
  }

  async cliOk(args, opts) {
    const r = await this.cli(args, opts);
    if (r.code !== 0) throw new Error(`bulwark ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
    return r;
  }

  // SQL straight at the database (the tests' "back door": tampering, and
  // checking what a refused request did not change). Returns rows of text.
  async sql(statement) {
    const r = this.db.kind === 'postgres'
      ? await runProgram('psql', [this.db.url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-F', '\t', '-c', statement])
      : await runProgram('sqlite3', ['-batch', '-cmd', '.timeout 10000', '-separator', '\t', this.db.url, statement]);
    if (r.code !== 0) throw new Error(`SQL failed (${statement}): ${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l.length > 0);
  }

  async start({ threads, extra = [] } = {}) {
    const args = ['serve', '--db', this.db.url, '--port', '0', ...extra];
    if (threads) args.push('--threads', String(threads));
    const proc = spawn(BIN, args, {
      env: { ...process.env, ...this.env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const srv = new Server(this, proc);
    this.servers.push(srv);
    await new Promise((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`server did not start in 30 s: ${srv.log.slice(-2000)}`)), 30000);
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /serving on (https?):\/\/([^:/]+):(\d+)\//.exec(out);
        if (m && !srv.port) {
          clearTimeout(timer);
          srv.port = Number(m[3]);
          srv.base = `${m[1]}://127.0.0.1:${srv.port}`;
          res();
        }
      });
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (!srv.port) rej(new Error(`server exited (${code ?? signal}) before serving: ${srv.log.slice(-2000)}`));
      });
    });
    srv.exit.then((r) => this.exits.push({ ...r, killed: srv.killed, sanitizer: srv.sanitizer, log: srv.log }));
    return srv;
  }

  // Stops every server this instance started; returns what each exit was.
  async stopAll() {
    await Promise.all(this.servers.map((s) => s.stop()));
    // let the exit handlers above record their results
    await new Promise((r) => setImmediate(r));
    this.servers = [];
    return this.exits;
  }

  // Problems seen in servers that were stopped politely: a non-zero exit
  // (ASan's leak check fails the exit) or any sanitizer report.
  shutdownProblems() {
    const out = [];
    for (const e of this.exits) {
      if (e.sanitizer) out.push(`sanitizer report:\n${e.sanitizer}`);
      else if (!e.killed && (e.code !== 0 || e.signal)) {
        out.push(`server exited ${e.code ?? e.signal} on SIGTERM:\n${e.log.slice(-3000)}`);
      }
    }
    return out;
  }

  async close() {
    await this.stopAll();
    if (this.db) await this.db.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// A fresh instance seeded with the small demo estate (and, by default, one
// server running). Call inst.close() in after().
export async function createInstance(tag, { demo = true, serve = true } = {}) {
  const inst = new Instance(tag);
  try {
    inst.db = await createDatabase(tag, inst.dir);
    if (demo) await inst.cliOk(['demo', '--db', inst.db.url, '--password-file', inst.passwordFile]);
    if (serve) inst.server = await inst.start();
  } catch (e) {
    await inst.close().catch(() => {});
    throw e;
  }
  return inst;
}

// Organisations of the demo estate: [{code, name, type, parent}].
export async function listOrgs(inst) {
  const r = await inst.cliOk(['org', 'list', '--db', inst.db.url]);
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [code, name, type, parent] = l.split('\t');
    return { code, name, type, parent };
  });
}

// Every organisation in code's subtree, code included.
export function subtree(orgs, code) {
  const out = [];
  const walk = (c) => {
    const o = orgs.find((x) => x.code === c);
    if (o) out.push(o);
    for (const k of orgs.filter((x) => x.parent === c)) walk(k.code);
  };
  walk(code);
  return out;
}

// `bulwark token create`: the raw token (printed once on stdout).
export async function createToken(inst, email, { write = false, name = 'test' } = {}) {
  const args = ['token', 'create', '--db', inst.db.url, '--email', email, '--name', name];
  if (write) args.push('--write');
  const r = await inst.cliOk(args);
  const id = Number((/Token (\d+) created/.exec(r.stderr) || [])[1]);
  return { token: r.stdout.trim(), id };
}

// The last test of each file: stop the servers politely and check that each
// exited 0 with no sanitizer report (the test build runs under ASan+UBSan,
// so a leak or a memory error at any point shows up here).
export async function assertCleanShutdown(inst, assert) {
  await inst.stopAll();
  const problems = inst.shutdownProblems();
  assert.deepEqual(problems, [], problems.join('\n----\n'));
}
