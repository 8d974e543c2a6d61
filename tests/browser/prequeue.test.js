// prequeue.test.js: before TicketSaleStart the queue is a pre-queue: the
// page shows the API's message and a countdown to the start, with how
// many wait, and keeps polling as pollAfterMs says.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, close, startSite, openPage, enter, shoot, sleep } from './harness.js';

let site;
const start = new Date(Date.now() + 3600 * 1000 + 30 * 1000);

before(async () => {
  await launch();
  const instant = start.toISOString().replace(/\.\d{3}Z$/, '+00:00');
  site = await startSite('prequeue', { SALE_START: instant });
});

after(async () => {
  if (site) await site.stop();
  await close();
  if (site) assert.deepEqual(site.errors(), [], 'Apache error log');
});

test('the pre-queue shows the countdown to the sale start', { timeout: 60000 }, async () => {
  const { page, check, close: done } = await openPage(site);
  await enter(page, 5);
  await page.waitForSelector('#prequeue-box:not([hidden])');
  assert.equal(await page.isHidden('#queue-box'), true, 'no position before the start');
  assert.equal(await page.textContent('#prequeue-message'), '판매 시작 전입니다.');
  assert.equal(await page.textContent('#pre-waiting'), '1명');
  const first = await page.textContent('#countdown');
  assert.match(first, /^01:00:[0-3]\d$/);
  await sleep(1300);
  const later = await page.textContent('#countdown');
  assert.notEqual(later, first, 'the countdown runs');
  await shoot(page, '2-prequeue');
  check();
  await done();
});
