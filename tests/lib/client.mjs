// client: a small browser stand-in over fetch. It keeps cookies (a jar of
// name -> value, honouring Max-Age=0), never follows redirects (tests look
// at them), sends an Origin header on POST the way a browser does, and
// remembers the last CSRF token it saw in a page so forms can be posted.
import { totp } from './totp.mjs';

const CSRF_RE = /name="csrf_token" value="([^"]+)"/;

function setCookies(headers) {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const v = headers.get('set-cookie');
  return v ? v.split(/,(?=\s*[A-Za-z0-9_-]+=)/) : [];
}

export class Client {
  constructor(base) {
    this.base = base;
    this.origin = new URL(base).origin;
    this.cookies = new Map();
    this.csrf = null;
    this.bearer = null;
    this.lastSetCookies = [];
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  // request(method, path, { form, body, json, headers, origin, contentType })
  // form: an object or [name, value] pairs sent url-encoded; origin: null to
  // send none, a string to send that one (default: the server's origin).
  async request(method, path, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    if (this.cookies.size && !('Cookie' in headers)) headers.Cookie = this.cookieHeader();
    if (this.bearer && !('Authorization' in headers)) headers.Authorization = `Bearer ${this.bearer}`;
    const unsafe = method !== 'GET' && method !== 'HEAD';
    if (unsafe && opts.origin !== null && !('Origin' in headers)) headers.Origin = opts.origin ?? this.origin;
    let body = opts.body;
    if (opts.form !== undefined) {
      body = new URLSearchParams(opts.form).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['Content-Type'] = 'application/json';
    }
    if (opts.contentType) headers['Content-Type'] = opts.contentType;
    const url = path.startsWith('http') ? path : this.base + path;
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.lastSetCookies = setCookies(res.headers);
    for (const sc of this.lastSetCookies) {
      const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const gone = attrs.some((a) => /^max-age=0$/i.test(a)) || value === '';
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = method === 'HEAD' ? '' : await res.text();
    const m = CSRF_RE.exec(text);
    if (m) this.csrf = m[1];
    return {
      status: res.status,
      headers: res.headers,
      text,
      location: res.headers.get('location'),
      setCookies: this.lastSetCookies,
      json() { return JSON.parse(text); },
    };
  }

  get(path, opts) {
    return this.request('GET', path, opts);
  }

  // A form post with this session's CSRF token added (unless the form has
  // its own, or opts.csrf === false).
  post(path, form = {}, opts = {}) {
    const pairs = Array.isArray(form) ? [...form] : Object.entries(form);
    if (opts.csrf !== false && this.csrf && !pairs.some(([k]) => k === 'csrf_token')) {
      pairs.unshift(['csrf_token', this.csrf]);
    }
    return this.request('POST', path, { ...opts, form: pairs });
  }

  // A multipart/form-data post, as a browser sends a form with a file.
  upload(path, name, content, fields = {}) {
    const fd = new FormData();
    fd.append('csrf_token', this.csrf);
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    fd.append('file', new Blob([content]), name);
    return this.request('POST', path, { body: fd });
  }

  // Fetches a signed-in page so this.csrf holds the current session's token.
  async refreshCsrf(path = '/profile') {
    const r = await this.get(path);
    if (r.status !== 200) throw new Error(`GET ${path} gave ${r.status} while fetching a CSRF token`);
    return this.csrf;
  }

  signIn(email, password) {
    return this.request('POST', '/sign-in', { form: { email, password } });
  }

  // Signs in and, if asked for a second factor, answers it from secret at
  // the server's clock `now`. Ends on a full session with a fresh CSRF token.
  async signInFull(email, password, { secret, now } = {}) {
    const r = await this.signIn(email, password);
    if (r.status !== 303) throw new Error(`sign-in of ${email} gave ${r.status}: ${r.text.slice(0, 500)}`);
    if (r.location === '/mfa') {
      if (!secret) throw new Error(`${email} needs a second factor`);
      await this.get('/mfa');
      const m = await this.post('/mfa', { code: totp(secret, now ?? Math.floor(Date.now() / 1000)) });
      if (m.status !== 303) throw new Error(`MFA for ${email} gave ${m.status}: ${m.text.slice(0, 500)}`);
    } else if (r.location === '/mfa/setup') {
      throw new Error(`${email} must enrol a second factor first`);
    }
    await this.refreshCsrf();
    return r;
  }

  async alive() {
    const r = await this.get('/profile');
    return r.status === 200;
  }
}

// The text of <code class="bw-secret"> on an enrolment page, spaces removed.
export function pageSecret(html) {
  const m = /<code class="bw-secret">([^<]+)<\/code>/.exec(html);
  return m ? m[1].replace(/\s+/g, '') : null;
}

// The recovery codes listed on the page shown after enrolment.
export function pageRecoveryCodes(html) {
  const m = /<ul class="bw-codes">([\s\S]*?)<\/ul>/.exec(html);
  if (!m) return [];
  return [...m[1].matchAll(/<code>([^<]+)<\/code>/g)].map((x) => x[1]);
}

// The error summary's messages, for assertions that name a field.
export function pageErrors(html) {
  const m = /nhsuk-error-summary[\s\S]*?<ul[^>]*>([\s\S]*?)<\/ul>/.exec(html);
  if (!m) return [];
  return [...m[1].matchAll(/<a href="#([^"]*)">([^<]*)<\/a>/g)].map((x) => ({ field: x[1], message: x[2] }));
}
