// errors.test.js: the API's errors as the page shows them, each with its
// Korean message and a way on: an unknown user at entry, a seat that
// someone else took meanwhile (the map is refreshed), and a hold that
// expired (the seat is chosen again).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, close, startSite, openPage, enter, pickSeat, shoot, PHONE } from './harness.js';

let site;

before(async () => {
  await launch();
  site = await startSite('errors', { CAPACITY: '2', HOLD_TTL: '6' });
});

after(async () => {
  if (site) await site.stop();
  await close();
  if (site) assert.deepEqual(site.errors(), [], 'Apache error log');
});

const notice = (page) => page.locator('#notice-text').textContent();

test('a seat taken by someone else, and a hold that expires, show their messages', { timeout: 120000 }, async () => {
  const a = await openPage(site);
  const b = await openPage(site, { viewport: PHONE });

  // USERS is 50: user 999 does not exist
  await enter(a.page, 999);
  await a.page.waitForSelector('#notice:not([hidden])');
  assert.equal(await notice(a.page), '대기열에 진입할 수 없습니다.');
  assert.equal(await a.page.textContent('#notice-hint'), '사용자 번호를 확인해 주세요.');
  assert.equal(await a.page.isVisible('#view-enter'), true, 'the way on: the form, to try again');

  await enter(a.page, 21);
  await a.page.waitForSelector('#concerts button', { timeout: 15000 });
  assert.equal(await a.page.isHidden('#notice'), true, 'the notice goes with the next step');
  await enter(b.page, 22);
  await b.page.waitForSelector('#concerts button', { timeout: 15000 });

  // both see seat 15 free; a holds it; b, from the map it has, tries it
  await pickSeat(a.page, 15);
  await pickSeat(b.page, 15);
  await a.page.click('#hold-button');
  await a.page.waitForSelector('#view-pay:not([hidden])');
  await b.page.click('#hold-button');
  await b.page.waitForSelector('#notice:not([hidden])');
  assert.equal(await notice(b.page), '이미 선택된 좌석입니다.');
  assert.match(await b.page.textContent('#notice-hint'), /좌석 배치도를 새로 불러왔습니다/);
  await b.page.waitForSelector('#seatmap button[data-num="15"][aria-disabled="true"]');
  assert.equal(await b.page.isDisabled('#hold-button'), true);
  assert.equal(await b.page.isVisible('#view-shop'), true);
  await shoot(b.page, 'error-seat-taken');

  // a's hold runs out (TicketHoldTTL 6 s) before it pays
  await a.page.waitForSelector('#notice:not([hidden])', { timeout: 15000 });
  assert.equal(await notice(a.page), '임시 점유 시간이 만료되었습니다.');
  assert.equal(await a.page.isDisabled('#pay-button'), true);
  assert.equal(await a.page.textContent('#hold-time'), '00:00');
  await shoot(a.page, 'error-hold-expired');
  await a.page.getByRole('button', { name: '좌석 다시 선택' }).click();
  await a.page.waitForSelector('#view-shop:not([hidden])');
  // the seat is free again (the server ended the hold: its list says so)
  await a.page.waitForSelector('#seatmap button[data-num="15"]:not([aria-disabled])', { timeout: 5000 });
  assert.equal(site.sql(`SELECT count(*) FROM tickets WHERE status = 'booked'`), '0');

  // keyboard: from the map's one tab stop, arrows move and Enter chooses
  await a.page.locator('#seatmap button[tabindex="0"]').focus();
  await a.page.keyboard.press('ArrowDown');
  await a.page.keyboard.press('ArrowRight');
  await a.page.keyboard.press('Enter');
  const chosen = await a.page.evaluate(() => document.activeElement.dataset.num);
  assert.match(await a.page.textContent('#selection-text'), new RegExp(`${chosen}번 좌석`));
  await a.page.keyboard.press('Tab');
  assert.equal(await a.page.evaluate(() => document.activeElement.id), 'hold-button');
  const ring = await a.page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(ring, 'solid', 'visible focus');

  a.check([400]);
  b.check([409]);
  await a.close();
  await b.close();
});
