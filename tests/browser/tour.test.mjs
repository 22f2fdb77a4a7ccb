// tour: a new administrator's first visit in a real browser (Debian's
// Chromium, headless, driven by playwright-core): sign in, set up two-factor
// from the secret on the page, browse the organisation tree down to a GP
// practice, add a user through the form, and sign in as that user. On every
// page axe-core must report no serious or critical accessibility violation;
// each page is saved as a screenshot in tests/out/screens/. SQLite only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PASSWORD, assertCleanShutdown, demoEmail, totp } from '../lib/server.mjs';
import { openBrowser } from '../lib/browser.mjs';

let inst;
let srv;
let page;
let newPage;
let pageErrors;
let check;
let checked;
let close;

before(async () => {
  ({ inst, srv, page, newPage, jsErrors: pageErrors, check, checked, close } = await openBrowser('tour'));
});
after(async () => {
  await close?.();
});

test('a signed-out visitor gets the sign-in page', async () => {
  await page.goto(`${srv.base}/`);
  assert.match(new URL(page.url()).pathname, /^\/sign-in/);
  assert.equal(await page.title(), 'Sign in - Bulwark');
  await check('sign-in');
});

test('a wrong password shows the error summary', async () => {
  await page.getByLabel('Email address').fill(demoEmail('admin', 'NATIONAL'));
  await page.getByLabel('Password').fill('Not-the-right-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  await assert.doesNotReject(page.locator('.nhsuk-error-summary').waitFor());
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /email address or password is not correct/);
  await check('sign-in-error');
});

test('the administrator signs in and sets up two-factor from the secret on the page', async () => {
  await page.getByLabel('Email address').fill(demoEmail('admin', 'NATIONAL'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/mfa/setup');
  assert.ok(await page.locator('.bw-qr svg').isVisible(), 'the QR code is shown');
  await check('mfa-setup');
  const secret = (await page.locator('code.bw-secret').innerText()).replace(/\s+/g, '');
  await page.getByLabel('Security code').fill(totp(secret, inst.now()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator('ul.bw-codes li').count(), 10, 'ten recovery codes');
  await check('recovery-codes');
  await page.getByRole('link', { name: 'Continue' }).click();
  await page.waitForURL(`${srv.base}/`);
  assert.match(await page.locator('h1').innerText(), /National Cyber Security Team/i);
  await check('home');
});

test('the organisation tree can be browsed down to a GP practice', async () => {
  await page.getByRole('navigation', { name: 'Primary navigation' }).getByRole('link', { name: 'Organisations' }).click();
  await page.waitForURL('**/orgs/NATIONAL');
  await check('orgs-national');
  await page.getByRole('link', { name: 'London', exact: true }).click();
  await page.waitForURL('**/orgs/Y56');
  await check('orgs-region');
  await page.getByRole('link', { name: /North Central London Integrated Care Board/i }).first().click();
  await page.waitForURL('**/orgs/QMJ');
  await check('orgs-ics');
  await page.getByRole('link', { name: /Mulberry Medical Practice/i }).first().click();
  await page.waitForURL('**/orgs/E83046');
  assert.match(await page.locator('h1').innerText(), /Mulberry Medical Practice/i);
  assert.match(await page.locator('main').innerText(), /GP practice/i);
  // the breadcrumbs lead back up the tree
  const crumbs = await page.locator('.nhsuk-breadcrumb').innerText();
  assert.match(crumbs, /North Central London/i);
  await check('orgs-gp-practice');
});

test('searching organisations finds one by name', async () => {
  await page.getByLabel('Search organisations by name or code').fill('Moorfields');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL('**/orgs?q=Moorfields');
  assert.match(await page.locator('main').innerText(), /Moorfields Eye Hospital/i);
  await check('orgs-search');
});

test('the administrator adds a user through the form (a weak password is explained first)', async () => {
  await page.getByRole('navigation', { name: 'Primary navigation' }).getByRole('link', { name: 'Users' }).click();
  await page.waitForURL('**/users');
  await check('users');
  await page.getByRole('link', { name: 'Add a user' }).click();
  await page.waitForURL('**/users/new');
  await check('users-new');
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
  await check('users-new-error');
  // the error summary links to the field
  await summary.getByRole('link').first().click();
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'password');
  await page.getByLabel('Initial password').fill('Orchid-Lantern-Basalt-6204');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.waitForURL(/\/users\/\d+$/);
  assert.match(await page.locator('main').innerText(), /User added/);
  assert.match(await page.locator('h1').innerText(), /Nadia Hussain/);
  await check('user-added');
});

test('the audit log page is accessible and shows the new user', async () => {
  await page.goto(`${srv.base}/audit`);
  assert.match(await page.locator('main').innerText(), /nadia\.hussain@e83046\.example\.nhs\.uk/);
  await check('audit');
});

test('the profile page is accessible', async () => {
  await page.goto(`${srv.base}/profile`);
  assert.match(await page.locator('h1').innerText(), /Your profile/);
  await check('profile');
});

test('the page-not-found page is accessible', async () => {
  const r = await page.goto(`${srv.base}/no-such-page`);
  assert.equal(r.status(), 404);
  assert.match(await page.locator('h1').innerText(), /not found/i);
  await check('not-found');
});

test('the new user signs in, in a separate browser session', async () => {
  const p = await newPage();
  await p.goto(`${srv.base}/sign-in`);
  await p.getByLabel('Email address').fill('nadia.hussain@e83046.example.nhs.uk');
  await p.getByLabel('Password').fill('Orchid-Lantern-Basalt-6204');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForURL(`${srv.base}/`);
  const main = await p.locator('main').innerText();
  assert.match(main, /Mulberry Medical Practice/i);
  assert.match(main, /Nadia Hussain/);
  await check('new-user-home', p);
  // an organisation lead of a practice sees only their practice
  await p.goto(`${srv.base}/orgs/QMJ`);
  assert.match(await p.locator('h1').innerText(), /not found/i);
  await p.context().close();
});

test('no page raised a JavaScript error', async () => {
  assert.deepEqual(pageErrors, []);
  assert.ok(checked() >= 15, `${checked()} pages checked`);
});

test('the server stops cleanly with no sanitizer report', async () => {
  await assertCleanShutdown(inst, assert);
});
