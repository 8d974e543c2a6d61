// queue.test.js: with capacity 1, a second user in the browser waits
// behind the first, keeps the place across a reload, sees the position
// and the progress bar move, polls as pollAfterMs says, and is admitted
// when the first pays; nothing on the waiting screen shifts meanwhile.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, close, startSite, openPage, apiUser, enter, pickSeat, shoot, PHONE } from './harness.js';

let site;

before(async () => {
  await launch();
  site = await startSite('queue', { CAPACITY: '1' });
});

after(async () => {
  if (site) await site.stop();
  await close();
  if (site) assert.deepEqual(site.errors(), [], 'Apache error log');
});

const text = (page, sel) => page.locator(sel).textContent();
const progress = async (page) => Number(await page.getAttribute('#progress', 'aria-valuenow'));

test('a second user waits, keeps the place across a reload, moves up, and is admitted when the first pays', { timeout: 120000 }, async () => {
  // ahead of everyone, through the API: in service, the capacity full
  const ahead = apiUser(site, 41);
  await ahead.enter();
  await ahead.admitted();

  const first = await openPage(site);
  await enter(first.page, 11);
  await first.page.waitForFunction(() => document.querySelector('#position').textContent === '1');

  const second = await openPage(site, { viewport: PHONE });
  const p = second.page;
  await enter(p, 12);
  await p.waitForSelector('#view-wait:not([hidden])');
  await p.waitForFunction(() => document.querySelector('#position').textContent === '2');
  assert.equal(await progress(p), 0, 'the bar starts at the place of entry');
  const token = await p.evaluate(() => JSON.parse(sessionStorage.getItem('mod_ticket.session')).token);

  // reloaded mid-wait: the same token, the same place, no new entry
  const entries = [];
  p.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/queues') entries.push(r.url());
  });
  const reloadedAt = Date.now();
  await p.reload();
  await p.waitForSelector('#view-wait:not([hidden])');
  await p.waitForFunction(() => document.querySelector('#position').textContent === '2');
  assert.equal(await p.evaluate(() => JSON.parse(sessionStorage.getItem('mod_ticket.session')).token), token);
  assert.deepEqual(entries, [], 'a reload enters no new token');
  assert.equal(await progress(p), 0);
  assert.equal(site.sql('SELECT count(*) FROM queue_tokens WHERE user_id = 12'), '1');
  const shiftsFrom = Date.now();

  // the user ahead pays: the first browser user is admitted, the second
  // moves up to 1 and the bar to half way
  await ahead.buy(3);
  await first.page.waitForSelector('#view-shop:not([hidden])', { timeout: 15000 });
  await p.waitForFunction(() => document.querySelector('#position').textContent === '1', null, { timeout: 15000 });
  assert.equal(await progress(p), 50);
  assert.equal(await text(p, '#waiting'), '1명');
  await shoot(p, '2-wait-moved');

  // no layout shift on the waiting screen while the numbers changed
  const shifts = await p.evaluate((from) => window.__shifts.filter((s) => s.at >= from && !s.input), shiftsFrom);
  const score = shifts.reduce((a, s) => a + s.value, 0);
  assert.ok(score < 0.001, `layout shift ${score} while waiting: ${JSON.stringify(shifts)}`);

  // the first books and pays: the second is admitted at once
  await first.page.waitForSelector('#concerts button');
  await pickSeat(first.page, 3);
  await first.page.click('#hold-button');
  await first.page.waitForSelector('#charge-button:not([hidden])');
  await first.page.click('#charge-button');
  await first.page.waitForSelector('#pay-button:not([disabled])');
  await first.page.click('#pay-button');
  await first.page.waitForSelector('#view-done:not([hidden])');
  const paidAt = Date.now();
  await p.waitForSelector('#view-shop:not([hidden])', { timeout: 15000 });
  assert.ok(Date.now() - paidAt < 5000, 'admitted within a poll of the payment');
  assert.equal(await progress(p), 100);

  // polls came exactly as pollAfterMs said: each that long after the
  // answer before it had come in (give or take the page's own work)
  const polls = second.watch.polls.filter((x) => x.body && x.at >= reloadedAt);
  assert.ok(polls.length >= 3, `${polls.length} polls`);
  for (let i = 1; i < polls.length; i++) {
    const prev = polls[i - 1];
    if (prev.body.tokenStatus !== 'wait') continue;
    const gap = polls[i].at - prev.done;
    const what = `poll ${i} sent ${gap} ms after the answer before it (pollAfterMs ${prev.body.pollAfterMs}; `
      + `that answer took ${prev.done - prev.at} ms)`;
    assert.ok(gap >= prev.body.pollAfterMs - 100, what);
    assert.ok(gap <= prev.body.pollAfterMs + 1500, what);
  }

  assert.equal(site.sql(`SELECT string_agg(user_id || ':' || state, ',' ORDER BY seq) FROM queue_tokens`),
    '41:expire,11:expire,12:service');
  first.check();
  second.check();
  await first.close();
  await second.close();
});
