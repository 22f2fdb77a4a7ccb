// tour: a new administrator's first visit in a real browser (Debian's
// Chromium, headless, driven by playwright-core): sign in, set up two-factor
// from the secret on the page, browse the organisation tree down to a GP
// practice, add a user through the form, and sign in as that user. On every
// page axe-core must report no serious or critical accessibility violation;
// each page is saved as a screenshot in tests/out/screens/. SQLite only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { PASSWORD, assertCleanShutdown, createInstance, demoEmail, totp } from '../lib/server.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SCREENS = join('tests', 'out', 'screens');

let inst;
let srv;
let browser;
let context;
let page;
const pageErrors = [];
const audited = [];

before(async () => {
  mkdirSync(SCREENS, { recursive: true });
  inst = await createInstance('browser');
  srv = inst.server;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
  context = await newContext();
  page = await context.newPage();
});
after(async () => {
  await browser?.close();
  await inst?.close();
});

// axe-core is injected as a script tag, which the site's CSP (rightly)
// forbids; the test contexts bypass CSP for that reason only.
async function newContext() {
  const c = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  c.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(`${p.url()}: ${e.message}`)));
  return c;
}

// Runs axe on the page as it is now, saves a screenshot, and fails on any
// serious or critical violation (listing them).
async function check(p, name) {
  await p.addScriptTag({ path: AXE });
  const result = await p.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
  await p.screenshot({ path: join(SCREENS, `${String(audited.length + 1).padStart(2, '0')}-${name}.png`), fullPage: true });
  audited.push(name);
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.filter((v) => !bad.includes(v));
  if (minor.length) console.log(`# ${name}: minor accessibility notes: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  assert.deepEqual(bad, [], `${name} (${p.url()}): serious or critical accessibility violations:\n${JSON.stringify(bad, null, 2)}`);
}

test('a signed-out visitor gets the sign-in page', async () => {
  await page.goto(`${srv.base}/`);
  assert.match(new URL(page.url()).pathname, /^\/sign-in/);
  assert.equal(await page.title(), 'Sign in - Bulwark');
  await check(page, 'sign-in');
});

test('a wrong password shows the error summary', async () => {
  await page.getByLabel('Email address').fill(demoEmail('admin', 'NATIONAL'));
  await page.getByLabel('Password').fill('Not-the-right-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  await assert.doesNotReject(page.locator('.nhsuk-error-summary').waitFor());
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /email address or password is not correct/);
  await check(page, 'sign-in-error');
});

test('the administrator signs in and sets up two-factor from the secret on the page', async () => {
  await page.getByLabel('Email address').fill(demoEmail('admin', 'NATIONAL'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/mfa/setup');
  assert.ok(await page.locator('.bw-qr svg').isVisible(), 'the QR code is shown');
  await check(page, 'mfa-setup');
  const secret = (await page.locator('code.bw-secret').innerText()).replace(/\s+/g, '');
  await page.getByLabel('Security code').fill(totp(secret, inst.now()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator('ul.bw-codes li').count(), 10, 'ten recovery codes');
  await check(page, 'recovery-codes');
  await page.getByRole('link', { name: 'Continue' }).click();
  await page.waitForURL(`${srv.base}/`);
  assert.match(await page.locator('h1').innerText(), /National Cyber Security Team/i);
  await check(page, 'home');
});

test('the organisation tree can be browsed down to a GP practice', async () => {
  await page.getByRole('navigation', { name: 'Primary navigation' }).getByRole('link', { name: 'Organisations' }).click();
  await page.waitForURL('**/orgs/NATIONAL');
  await check(page, 'orgs-national');
  await page.getByRole('link', { name: 'London', exact: true }).click();
  await page.waitForURL('**/orgs/Y56');
  await check(page, 'orgs-region');
  await page.getByRole('link', { name: /North Central London Integrated Care Board/i }).first().click();
  await page.waitForURL('**/orgs/QMJ');
  await check(page, 'orgs-ics');
  await page.getByRole('link', { name: /Mulberry Medical Practice/i }).first().click();
  await page.waitForURL('**/orgs/E83046');
  assert.match(await page.locator('h1').innerText(), /Mulberry Medical Practice/i);
  assert.match(await page.locator('main').innerText(), /GP practice/i);
  // the breadcrumbs lead back up the tree
  const crumbs = await page.locator('.nhsuk-breadcrumb').innerText();
  assert.match(crumbs, /North Central London/i);
  await check(page, 'orgs-gp-practice');
});

test('searching organisations finds one by name', async () => {
  await page.getByLabel('Search organisations by name or code').fill('Moorfields');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL('**/orgs?q=Moorfields');
  assert.match(await page.locator('main').innerText(), /Moorfields Eye Hospital/i);
  await check(page, 'orgs-search');
});

test('the administrator adds a user through the form (a weak password is explained first)', async () => {
  await page.getByRole('navigation', { name: 'Primary navigation' }).getByRole('link', { name: 'Users' }).click();
  await page.waitForURL('**/users');
  await check(page, 'users');
  await page.getByRole('link', { name: 'Add a user' }).click();
  await page.waitForURL('**/users/new');
  await check(page, 'users-new');
  await page.getByLabel('Full name').fill('Nadia Hussain');
  await page.getByLabel('Email address').fill('nadia.hussain@e83046.example.nhs.uk');
  await page.getByLabel('Organisation code').fill('E83046');
  await page.getByLabel('Role').selectOption('org_lead');
  await page.getByLabel('Initial password').fill('password1234');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.waitForLoadState();
  const summary = page.locator('.nhsuk-error-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /password/i);
  await check(page, 'users-new-error');
  // the error summary links to the field
  await summary.getByRole('link').first().click();
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'password');
  await page.getByLabel('Initial password').fill('Orchid-Lantern-Basalt-6204');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.waitForURL(/\/users\/\d+$/);
  assert.match(await page.locator('main').innerText(), /User added/);
  assert.match(await page.locator('h1').innerText(), /Nadia Hussain/);
  await check(page, 'user-added');
});

test('the audit log page is accessible and shows the new user', async () => {
  await page.goto(`${srv.base}/audit`);
  assert.match(await page.locator('main').innerText(), /nadia\.hussain@e83046\.example\.nhs\.uk/);
  await check(page, 'audit');
});

test('the profile page is accessible', async () => {
  await page.goto(`${srv.base}/profile`);
  assert.match(await page.locator('h1').innerText(), /Your profile/);
  await check(page, 'profile');
});

test('the page-not-found page is accessible', async () => {
  const r = await page.goto(`${srv.base}/no-such-page`);
  assert.equal(r.status(), 404);
  assert.match(await page.locator('h1').innerText(), /not found/i);
  await check(page, 'not-found');
});

test('the new user signs in, in a separate browser session', async () => {
  const other = await newContext();
  const p = await other.newPage();
  await p.goto(`${srv.base}/sign-in`);
  await p.getByLabel('Email address').fill('nadia.hussain@e83046.example.nhs.uk');
  await p.getByLabel('Password').fill('Orchid-Lantern-Basalt-6204');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForURL(`${srv.base}/`);
  const main = await p.locator('main').innerText();
  assert.match(main, /Mulberry Medical Practice/i);
  assert.match(main, /Nadia Hussain/);
  await check(p, 'new-user-home');
  // an organisation lead of a practice sees only their practice
  await p.goto(`${srv.base}/orgs/QMJ`);
  assert.match(await p.locator('h1').innerText(), /not found/i);
  await other.close();
});

test('no page raised a JavaScript error', async () => {
  assert.deepEqual(pageErrors, []);
  assert.ok(audited.length >= 15, `${audited.length} pages checked`);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
