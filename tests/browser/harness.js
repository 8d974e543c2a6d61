// harness.js: what the browser tests share. A site is a real Apache with
// the built module (scripts/httpd-conf.sh, as `make run` and the
// integration tests configure it) on a database of its own, copied from
// the template that scripts/browser-test.sh made (make run's demo data),
// on a free port. The browser is Debian's chromium, headless, driven by
// playwright-core. Every page is watched: a request to any origin but its
// own, a console error or an uncaught exception fails the test.

import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run the tests with scripts/browser-test.sh (make browser)`);
  return v;
};

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export function psql(db, sql) {
  // (no NOTICE lines in the test output)
  return execFileSync('psql', ['-X', '-q', '-w', '-v', 'ON_ERROR_STOP=1', '-p', env('TK_PGPORT'),
    '-U', 'postgres', '-d', db, '-tA', '-F', '|', '-c', sql], {
    encoding: 'utf8',
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
  }).trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An Apache + database for one scenario. knobs: CAPACITY, HOLD_TTL,
 * IDENTITY, SALE_START… as `make run` takes them. */
export async function startSite(name, knobs = {}) {
  const db = `b_${name}`;
  psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  psql('postgres', `CREATE DATABASE ${db} TEMPLATE ticket_template OWNER ticket_owner`);
  psql('postgres', `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
  psql('postgres', `GRANT CONNECT ON DATABASE ${db} TO ticket`);
  const dir = `${env('TK_TMP')}/site-${name}`;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const secret = `${dir}/secret`;
  writeFileSync(secret, `${randomBytes(48).toString('base64')}\n`, { mode: 0o600 });
  const port = await freePort();
  const conf = execFileSync('sh', [`${env('TK_ROOT')}/scripts/httpd-conf.sh`], {
    encoding: 'utf8',
    env: {
      ...process.env,
      STATE: dir, RUNDIR: dir, LOGDIR: dir, PORT: String(port),
      MODULE: env('TK_MODULE'), SECRET: secret, WEB: env('TK_WEB'),
      LOGLEVEL: 'warn ticket:notice',
      DBDPARAMS: `host=${env('PGHOST')} port=${env('TK_PGPORT')} dbname=${db} user=ticket `
        + `password=${env('TK_DBD_PASSWORD')} connect_timeout=3 application_name=mod_ticket`,
      ...knobs,
    },
  });
  writeFileSync(`${dir}/httpd.conf`, conf, { mode: 0o600 });
  const httpd = spawn('apache2', ['-f', `${dir}/httpd.conf`, '-D', 'FOREGROUND'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => httpd.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  const site = {
    name, db, dir, port, url, origin: url,
    sql: (q) => psql(db, q),
    async stop() {
      if (httpd.exitCode === null) httpd.kill('SIGTERM');
      const late = setTimeout(() => httpd.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(late);
    },
    /** error-log lines at error level or worse */
    errors() {
      const log = `${dir}/error.log`;
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8').split('\n').filter((l) => /:(error|crit|alert|emerg)\]/.test(l));
    },
  };
  for (let i = 0; i < 150; i++) {
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) return site;
    } catch (e) {
      // not yet
    }
    if (httpd.exitCode !== null) break;
    await sleep(100);
  }
  await site.stop();
  throw new Error(`Apache of ${name} did not answer /health; see ${dir}/error.log`);
}

/** A user who acts through the API directly (node's fetch), to fill the
 * queue around the people in the browser. */
export function apiUser(site, userId, auth) {
  const headers = (token) => ({
    'Content-Type': 'application/json',
    ...(token ? { 'Queue-Token': token } : {}),
    ...(auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}),
  });
  const call = async (method, path, body) => {
    const r = await fetch(site.url + path, {
      method, headers: headers(u.token), body: body && JSON.stringify(body),
    });
    const data = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(data)}`);
    return data;
  };
  const u = {
    userId,
    token: null,
    async enter() {
      const r = await call('POST', '/queues', { userId });
      u.token = r.userToken;
      return r;
    },
    poll: () => call('GET', '/queues'),
    async admitted(timeoutMs = 15000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = await u.poll();
        if (r.tokenStatus === 'service') return r;
        if (Date.now() > until) throw new Error(`user ${userId} not admitted: ${JSON.stringify(r)}`);
        await sleep(Math.min(r.pollAfterMs || 500, 500));
      }
    },
    /** holds a seat (seatNum, or the last free one) of the concert's
     * first or last date, charges its price and pays */
    async buy(concertId = 1, { first = false, seatNum = null } = {}) {
      const { schedules } = await call('GET', `/concerts/${concertId}/dates`);
      const s = first ? schedules[0] : schedules[schedules.length - 1];
      const { availableSeats } = await call('GET', `/concerts/${concertId}/dates/${s.date}/seats`);
      const seat = seatNum ? availableSeats.find((x) => x.seatNum === seatNum)
        : availableSeats[availableSeats.length - 1];
      const t = await call('POST', `/concerts/${concertId}/schedules/${s.scheduleId}/seats/${seat.seatId}/ticket`, { userId });
      await call('PATCH', '/payments/charges', { userId, amount: t.price });
      return call('POST', '/payments/pays', { ticketId: t.ticketId, userId });
    },
  };
  return u;
}

let browser = null;

export async function launch() {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // (as root playwright already passes --no-sandbox; these keep chromium
    // off the network it would otherwise try for its own services)
    args: ['--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return browser;
}

export async function close() {
  if (browser) await browser.close();
  browser = null;
}

/** A page of its own (a new browser context: its own session storage and
 * login), at the site's /ui/, watched. opts: viewport, httpCredentials. */
export async function openPage(site, opts = {}) {
  const context = await browser.newContext({
    viewport: opts.viewport || DESKTOP,
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
    httpCredentials: opts.httpCredentials,
  });
  const page = await context.newPage();
  const watch = { foreign: [], console: [], errors: [], polls: [] };
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin !== site.origin) watch.foreign.push(req.url());
    if (req.method() === 'GET' && u.pathname === '/queues') watch.polls.push({ at: Date.now() });
  });
  // each poll: when it was sent, when its answer had come in whole, and
  // the answer
  page.on('requestfinished', async (req) => {
    const u = new URL(req.url());
    if (u.pathname !== '/queues' || req.method() !== 'GET') return;
    const poll = watch.polls.findLast((p) => !p.done);
    if (!poll) return;
    poll.done = Date.now();
    try {
      poll.body = await (await req.response()).json();
    } catch (e) {
      // the page went away meanwhile
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') watch.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.errors.push(String(e)));
  // layout shifts, for the waiting screen
  await page.addInitScript(() => {
    window.__shifts = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          window.__shifts.push({ at: performance.timeOrigin + e.startTime, value: e.value, input: e.hadRecentInput });
        }
      }).observe({ type: 'layout-shift', buffered: true });
    } catch (e) {
      // no layout-shift entries in this browser
    }
  });
  await page.goto(`${site.url}/ui/`);
  return {
    page,
    context,
    watch,
    /** No foreign request, no uncaught exception, and no console error
     * but the browser's own line for an API answer this scenario expects
     * (Chromium logs every 4xx answer of fetch as an error). */
    check(expectedStatuses = []) {
      assert.deepEqual(watch.foreign, [], 'requests to another origin');
      assert.deepEqual(watch.errors, [], 'uncaught exceptions');
      const unexpected = watch.console.filter((line) => {
        const m = /Failed to load resource: the server responded with a status of (\d+)/.exec(line);
        return !(m && expectedStatuses.includes(Number(m[1])));
      });
      assert.deepEqual(unexpected, [], 'console errors');
    },
    close: () => context.close(),
  };
}

/** A screenshot of the page at the desktop's and at a phone's width,
 * into build/screenshots/NAME-desktop.png and NAME-phone.png. */
export async function shoot(page, name) {
  const dir = env('TK_SCREENSHOTS');
  const size = page.viewportSize();
  await page.waitForTimeout(900);           // transitions settle
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: `${dir}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${dir}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize(size);
}

/** Types the user id (Body mode) and enters the queue. */
export async function enter(page, userId) {
  if (userId != null) await page.fill('#user-id', String(userId));
  await page.click('#enter-button');
}

/** From the concert list to a held seat: the first concert, its last
 * date, seat NUM. */
export async function pickSeat(page, num, { concert = 0 } = {}) {
  await page.locator('#concerts button').nth(concert).click();
  await page.locator('#dates button').last().click();
  await page.locator(`#seatmap button[data-num="${num}"]`).click();
  await page.waitForSelector('#hold-button:not([disabled])');
}

export { sleep };
