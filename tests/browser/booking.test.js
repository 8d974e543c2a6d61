// booking.test.js: one user books a seat end to end in the browser:
// enter -> wait -> admitted -> seat -> hold -> charge -> pay ->
// confirmation, checked in the database after. Capacity 1, filled first
// by a user of the API, so that the wait is really a wait.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, close, startSite, openPage, apiUser, enter, pickSeat, shoot } from './harness.js';

let site;

before(async () => {
  await launch();
  site = await startSite('booking', { CAPACITY: '1' });
});

after(async () => {
  if (site) await site.stop();
  await close();
  if (site) assert.deepEqual(site.errors(), [], 'Apache error log');
});

test('one user books a seat: enter, wait, seat, hold, charge, pay, confirmation', { timeout: 120000 }, async () => {
  const ahead = apiUser(site, 40);
  await ahead.enter();
  await ahead.admitted();

  const { page, check, close: done } = await openPage(site);
  await page.waitForSelector('#view-enter:not([hidden])');
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  assert.equal(await page.isVisible('#user-id'), true, 'Body mode asks for the user id');
  await shoot(page, '1-enter');

  await enter(page, 7);
  await page.waitForSelector('#view-wait:not([hidden])');
  await page.waitForFunction(() => document.querySelector('#position').textContent === '1');
  assert.equal(await page.textContent('#waiting'), '1명');
  assert.match(await page.textContent('#eta'), /분|계산 중/);
  assert.equal(await page.getAttribute('.wait__position', 'aria-live'), 'polite');
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('mod_ticket.session')).token);
  assert.match(token, /^\d+\.7\./, 'the token is kept in session storage');
  await shoot(page, '2-wait');

  // the user ahead books seat 5 of the date the browser user will see,
  // and pays: the slot is the browser user's at once
  await ahead.buy(1, { first: true, seatNum: 5 });
  await page.waitForSelector('#view-shop:not([hidden])', { timeout: 15000 });
  await page.waitForSelector('#session:not([hidden])');
  assert.match(await page.textContent('#session-time'), /^\d\d:\d\d$/);
  await page.waitForSelector('#concerts button');
  assert.equal(await page.locator('#concerts button').count(), 3);
  await shoot(page, '3-concerts');

  await page.locator('#concerts button').first().click();
  await page.waitForSelector('#dates button');
  const dates = await page.locator('#dates button').count();
  assert.equal(dates, 2);
  assert.match(await page.locator('#dates button').first().textContent(), /잔여 49석/);
  await page.locator('#dates button').first().click();
  await page.waitForSelector('#seatmap button[data-num="50"]');
  assert.equal(await page.locator('#seatmap button').count(), 50);
  assert.equal(await page.getAttribute('#seatmap button[data-num="5"]', 'aria-disabled'), 'true', 'seat 5 is taken');
  assert.match(await page.textContent('#legend'), /VIP석 165,000원.*R석 132,000원.*S석 99,000원/);
  await page.locator('#seatmap button[data-num="12"]').click();
  await page.waitForSelector('#hold-button:not([disabled])');
  assert.match(await page.textContent('#selection-text'), /R석 12번 좌석 · 132,000원/);
  await shoot(page, '4-seat');

  await page.click('#hold-button');
  await page.waitForSelector('#view-pay:not([hidden])');
  await page.waitForFunction(() => document.querySelector('#pay-balance').textContent === '0원');
  assert.match(await page.textContent('#hold-time'), /^0[45]:\d\d$/);
  assert.equal(await page.textContent('#pay-short'), '132,000원');
  assert.equal(await page.isDisabled('#pay-button'), true, 'no paying before the balance is there');
  await shoot(page, '5-hold');

  // a double click charges once (one Idempotency-Key)
  const charges = [];
  page.on('request', (r) => {
    if (r.method() === 'PATCH') charges.push(r.headers()['idempotency-key']);
  });
  await page.dblclick('#charge-button');
  await page.waitForFunction(() => document.querySelector('#pay-balance').textContent === '132,000원');
  assert.ok(charges.length >= 1 && charges.every((k) => k === charges[0]), `one key: ${charges}`);
  assert.match(charges[0], /^[\x21-\x7e]{1,64}$/);
  assert.equal(await page.isHidden('#charge-button'), true);
  await shoot(page, '6-charged');

  await page.click('#pay-button');
  await page.waitForSelector('#view-done:not([hidden])');
  assert.equal(await page.textContent('#done-concert'), '아이유 콘서트 HEREH');
  assert.equal(await page.textContent('#done-seat'), 'R석 12번');
  assert.equal(await page.textContent('#done-price'), '132,000원');
  assert.equal(await page.textContent('#done-balance'), '0원');
  assert.match(await page.textContent('#done-date'), /^\d{4}년 \d{1,2}월 \d{1,2}일 \([일월화수목금토]\)$/);
  await shoot(page, '7-done');

  // in the database: seat 12 of concert 1's first date booked for user 7,
  // paid once, charged once, balance 0
  const row = site.sql(`SELECT t.user_id, t.status, s.seat_num, t.price, a.balance,
      (SELECT count(*) FROM ledger l WHERE l.user_id = 7 AND l.kind = 'charge'),
      (SELECT count(*) FROM ledger l WHERE l.user_id = 7 AND l.kind = 'pay'),
      (SELECT state FROM queue_tokens q WHERE q.user_id = 7)
    FROM tickets t JOIN seats s ON s.seat_id = t.seat_id JOIN accounts a ON a.user_id = t.user_id
    WHERE t.user_id = 7`);
  assert.equal(row, '7|booked|12|132000|0|1|1|expire');
  assert.equal(site.sql(`SELECT s.booked_ticket_id IS NOT NULL FROM seats s
    JOIN schedules sc ON sc.schedule_id = s.schedule_id
    WHERE sc.concert_id = 1 AND s.seat_num = 12 ORDER BY sc.starts_at LIMIT 1`), 't');
  assert.equal(site.sql(`SELECT count(*) FROM tickets WHERE status = 'booked'`), '2');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('mod_ticket.session')), null,
    'the token the payment ended is forgotten');
  check();
  await done();
});
