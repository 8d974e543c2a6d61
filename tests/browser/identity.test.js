// identity.test.js: IDENTITY=remote-user (TicketIdentity RemoteUser behind
// HTTP Basic against the demo users): the browser's login is the
// identity. The page asks for no user id, and the whole purchase runs
// with the user the login names.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, close, startSite, openPage, enter, pickSeat, shoot } from './harness.js';

let site;

before(async () => {
  await launch();
  site = await startSite('identity', { IDENTITY: 'remote-user' });
});

after(async () => {
  if (site) await site.stop();
  await close();
  if (site) assert.deepEqual(site.errors(), [], 'Apache error log');
});

test('RemoteUser: the Basic login is the identity, no user id asked', { timeout: 120000 }, async () => {
  // without a login there is no page: Apache asks for one
  const anonymous = await fetch(`${site.url}/ui/`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') || '', /^Basic /);

  const { page, check, close: done } = await openPage(site, {
    httpCredentials: { username: 'user4', password: 'demo' },
  });
  await page.waitForSelector('#view-enter:not([hidden])');
  assert.equal(await page.isHidden('#user-field'), true, 'no user id to type');
  assert.equal(await page.isVisible('#login-note'), true);
  await shoot(page, 'remote-user-enter');

  await enter(page, null);
  await page.waitForSelector('#concerts button', { timeout: 15000 });
  await pickSeat(page, 31, { concert: 2 });
  await page.click('#hold-button');
  await page.waitForSelector('#charge-button:not([hidden])');
  assert.equal(await page.textContent('#pay-short'), '99,000원');
  await page.click('#charge-button');
  await page.waitForSelector('#pay-button:not([disabled])');
  await page.click('#pay-button');
  await page.waitForSelector('#view-done:not([hidden])');
  assert.equal(await page.textContent('#done-seat'), 'S석 31번');
  assert.equal(await page.textContent('#done-concert'), '뉴진스 팬미팅 Bunnies Camp');

  assert.equal(site.sql(`SELECT u.user_name, s.seat_num, t.status FROM tickets t
    JOIN users u ON u.user_id = t.user_id JOIN seats s ON s.seat_id = t.seat_id`), 'user4|31|booked');
  // every request of the page went with the login, none without
  check();
  await done();
});
