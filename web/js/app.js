// app.js: the waiting-room and booking page. Five steps (api.md, "The
// waiting-room and booking page"): enter, wait, choose a seat and hold it,
// charge what is missing and pay, the confirmation. It talks only to the
// API (api.js), keeps the token in this tab's session storage (store.js)
// and shows every error of the API as its Korean message with a way on.

import { Api, ApiError, MSG, tokenUser } from './api.js';
import * as store from './store.js';
import * as fmt from './format.js';
import { SeatMap } from './seatmap.js';

const $ = (id) => document.getElementById(id);

// the messages of the API the page also shows on its own clock
const HOLD_EXPIRED = '임시 점유 시간이 만료되었습니다.';
const SERVICE_OVER = '사용시간이 만료되었습니다.';

const api = new Api(meta('ticket-api-base') || '/');
let st = store.load();             // token, entryPos, userId, hold, charge
let identity = 'body';             // or 'remote-user'
let view = null;

// timers: one poll, one second-ticker
let pollTimer = null;
let ticker = null;
let retryTimer = null;
let serviceEnds = null;            // server ms when the service time ends
let holdEnds = null;               // server ms when the hold ends
let prequeueEnds = null;           // server ms when the sale starts
let holdExpiredShown = false;

// what is on screen in the shop
let concerts = [];
let concert = null;                // { concertId, title }
let schedule = null;               // { scheduleId, date }
let chosenSeat = null;
let balance = null;
let busy = false;

const seatmap = new SeatMap($('seatmap'), $('legend'), (seat) => {
  chosenSeat = seat;
  const section = seat.section ? `${seat.section.name} ` : '';
  $('selection-text').textContent = `${section}${seat.seatNum}번 좌석 · ${fmt.won(seat.price)}`;
  $('hold-button').disabled = false;
});

// ---- start ----

init();

async function init() {
  wire();
  identity = await findIdentity();
  $('user-field').hidden = identity !== 'body';
  $('login-note').hidden = identity === 'body';
  $('loading').hidden = true;
  if (st.token) {
    api.token = st.token;
    show('wait');
    renderWaiting(st.lastWait || null);
    poll();
  } else {
    show('enter');
  }
  ticker = setInterval(tick, 250);
}

function meta(name) {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.content.trim() : '';
}

// "auto": the page's own Ticket-Identity header, where the site's login
// is the identity (RemoteUser); else the user types an id (Body).
async function findIdentity() {
  const m = meta('ticket-identity').toLowerCase();
  if (m === 'body' || m === 'remote-user') return m;
  try {
    const res = await fetch(location.href, { method: 'HEAD', cache: 'no-store' });
    const h = (res.headers.get('Ticket-Identity') || '').toLowerCase();
    return h === 'remoteuser' || h === 'remote-user' ? 'remote-user' : 'body';
  } catch (e) {
    return 'body';
  }
}

function wire() {
  $('enter-form').addEventListener('submit', (e) => {
    e.preventDefault();
    enter();
  });
  $('user-id').addEventListener('input', () => $('user-id').removeAttribute('aria-invalid'));
  $('hold-button').addEventListener('click', holdSeat);
  $('charge-button').addEventListener('click', charge);
  $('pay-button').addEventListener('click', pay);
  $('back-button').addEventListener('click', () => backToSeats(false));
  $('home-button').addEventListener('click', startOver);
  $('more-button').addEventListener('click', () => {
    st.hold = null;
    save();
    openShop();
  });
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && st.token && view === 'wait') poll();
  });
}

function save() {
  store.save(st);
}

// ---- views ----

const ORDER = ['enter', 'wait', 'shop', 'pay', 'done'];

function show(name, focus = true) {
  const changed = view !== name;
  view = name;
  for (const s of document.querySelectorAll('section[data-view]')) s.hidden = s.dataset.view !== name;
  const at = ORDER.indexOf(name);
  for (const li of document.querySelectorAll('.steps__item')) {
    const i = ORDER.indexOf(li.dataset.step);
    li.classList.toggle('is-done', i < at);
    li.classList.toggle('is-current', i === at);
    if (i === at) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  }
  document.body.dataset.step = name;
  if (changed && focus) {
    const h = document.querySelector(`section[data-view="${name}"] h1`);
    if (h) {
      h.tabIndex = -1;
      h.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }
}

// ---- notices: the API's message, a hint, the ways on ----

function notify(message, hint, actions = []) {
  clearTimeout(retryTimer);
  $('notice-text').textContent = message;
  $('notice-hint').textContent = hint || '';
  $('notice-hint').hidden = !hint;
  const box = $('notice-actions');
  box.replaceChildren();
  for (const a of actions) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `btn btn--small ${a.primary ? 'btn--primary' : 'btn--secondary'}`;
    b.textContent = a.label;
    b.addEventListener('click', () => {
      clearNotice();
      a.run();
    });
    box.append(b);
  }
  $('notice').hidden = false;
}

function clearNotice() {
  clearTimeout(retryTimer);
  $('notice').hidden = true;
}

const reenter = { label: '다시 입장하기', primary: true, run: startOver };

/** Shows an error of the API (or of the network) with what to do next.
 * retry: the step to try again. */
function fail(err, retry) {
  if (!(err instanceof ApiError)) {
    console.warn(err);
    err = new ApiError(0, 'UNEXPECTED', MSG.unexpected, null);
  }
  const again = retry ? [{ label: '다시 시도', primary: true, run: retry }] : [];
  switch (err.code) {
    case 'TOKEN_INVALID':
    case 'TOKEN_EXPIRED':
    case 'USER_NOT_FOUND':
    case 'ACCOUNT_NOT_FOUND':
    case 'FORBIDDEN':
      if (view === 'enter') {
        notify(err.message, enterHint(err), []);
        return;
      }
      dropToken();
      notify(err.message, '대기열에 다시 입장하면 새 순서를 받습니다.', [reenter]);
      return;
    case 'TOKEN_NOT_ADMITTED':
      notify(err.message, '아직 입장 순서가 아닙니다. 대기 화면으로 돌아갑니다.', []);
      show('wait');
      poll();
      return;
    case 'UNAUTHENTICATED':
      notify(err.message, '로그인한 뒤 다시 시도해 주세요.',
        [{ label: '다시 로그인', primary: true, run: () => location.reload() }]);
      return;
    case 'SEAT_TAKEN':
      notify(err.message, '좌석 배치도를 새로 불러왔습니다. 다른 좌석을 선택해 주세요.', []);
      loadSeats();
      return;
    case 'HOLD_LIMIT':
      notify(err.message, '이미 선점한 좌석을 먼저 결제해 주세요.', []);
      return;
    case 'HOLD_EXPIRED':
    case 'TICKET_NOT_FOUND':
      holdLost(err.message);
      return;
    case 'INSUFFICIENT_BALANCE':
      notify(err.message, '부족한 금액을 충전한 뒤 결제해 주세요.', []);
      refreshBalance();
      return;
    case 'INVALID_AMOUNT':
      notify(err.message, '충전 한도를 넘었습니다. 금액을 확인해 주세요.', []);
      return;
    case 'IDEMPOTENCY_KEY_REUSED':
      st.charge = null;
      save();
      notify(err.message, '새 요청으로 다시 충전해 주세요.', again);
      return;
    case 'CONCERT_NOT_FOUND':
      notify(err.message, '공연 목록을 새로 불러왔습니다.', []);
      openShop();
      return;
    case 'QUEUE_CLOSED':
      notify(err.message, '지금은 대기열이 닫혀 있습니다. 잠시 후 다시 시도해 주세요.', again);
      return;
    case 'BAD_REQUEST':
    case 'PAYLOAD_TOO_LARGE':
    case 'NOT_FOUND':
    case 'METHOD_NOT_ALLOWED':
      notify(err.message, view === 'enter' ? enterHint(err) : '', again);
      return;
    default:
      if (err.status === 503 || err.status === 0 || err.code === 'UNEXPECTED') {
        retryLater(err, retry);
        return;
      }
      notify(err.message, '', again);
  }
}

function enterHint(err) {
  if (err.code === 'USER_NOT_FOUND') return '사용자 번호를 확인해 주세요.';
  if (err.code === 'BAD_REQUEST' && identity === 'body') return '사용자 번호는 숫자로 입력해 주세요.';
  return '';
}

// 503 (Retry-After), no answer: tries again by itself, and says when
function retryLater(err, retry) {
  const wait = Math.min(Math.max(err.retryAfter || 3, 1), 60);
  const actions = retry ? [{ label: '지금 다시 시도', primary: true, run: retry }] : [];
  let left = wait;
  notify(err.message, `${left}초 후 자동으로 다시 시도합니다.`, actions);
  if (!retry) return;
  const step = () => {
    left -= 1;
    if (left <= 0) {
      clearNotice();
      retry();
      return;
    }
    $('notice-hint').textContent = `${left}초 후 자동으로 다시 시도합니다.`;
    retryTimer = setTimeout(step, 1000);
  };
  retryTimer = setTimeout(step, 1000);
}

// ---- 1. enter ----

async function enter() {
  if (busy) return;
  let userId = null;
  if (identity === 'body') {
    const v = $('user-id').value.trim();
    if (!/^[1-9][0-9]{0,18}$/.test(v)) {
      $('user-id').setAttribute('aria-invalid', 'true');
      notify('사용자 번호를 확인해 주세요.', '1 이상의 숫자로 입력해 주세요.', []);
      $('user-id').focus();
      return;
    }
    userId = v;
  }
  busy = true;
  $('enter-button').disabled = true;
  clearNotice();
  try {
    const r = await api.enter(userId);
    st = { token: r.userToken, userId: userId || tokenUser(r.userToken) };
    api.token = r.userToken;
    save();
    if (r.tokenStatus === 'service') {
      admitted(null);
    } else {
      show('wait');
      renderWaiting(r);
      schedulePoll(r.pollAfterMs);
    }
  } catch (e) {
    fail(e, enter);
  } finally {
    busy = false;
    $('enter-button').disabled = false;
  }
}

function dropToken() {
  stopPolling();
  serviceEnds = null;
  holdEnds = null;
  $('session').hidden = true;
  st = {};
  api.token = null;
  store.clear();
}

function startOver() {
  dropToken();
  clearNotice();
  concert = null;
  schedule = null;
  show('enter');
  $(identity === 'body' ? 'user-id' : 'enter-button').focus();
}

// ---- 2. wait ----

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
}

// exactly as the server says (pollAfterMs), one poll at a time
function schedulePoll(ms) {
  stopPolling();
  const wait = Number.isFinite(ms) && ms > 0 ? ms : 1000;
  pollTimer = setTimeout(poll, wait);
}

async function poll() {
  stopPolling();
  if (!st.token) return;
  let r;
  try {
    r = await api.poll();
  } catch (e) {
    if (e.status === 503 || e.status === 0 || e.code === 'UNEXPECTED') {
      fail(e, poll);
    } else {
      fail(e, null);
    }
    return;
  }
  clearNoticeIfTransient();
  if (r.tokenStatus === 'wait') {
    if (view !== 'wait') show('wait');
    renderWaiting(r);
    schedulePoll(r.pollAfterMs);
  } else if (r.tokenStatus === 'service') {
    admitted(r);
  } else {
    // over: the service time ran out (or a payment ended it elsewhere)
    const msg = r.message || SERVICE_OVER;
    dropToken();
    show('enter');
    notify(msg, '대기열에 다시 입장하면 새 순서를 받습니다.', [reenter]);
  }
}

function clearNoticeIfTransient() {
  // a notice of a retried poll goes once the poll answers
  if (!$('notice').hidden && $('notice-actions').textContent.includes('지금 다시 시도')) clearNotice();
}

function renderWaiting(r) {
  if (!r) return;
  st.lastWait = { position: r.position, waitingCount: r.waitingCount, etaSeconds: r.etaSeconds };
  const pre = r.position === null || r.position === undefined;
  $('queue-box').hidden = pre;
  $('prequeue-box').hidden = !pre;
  if (pre) {
    $('wait-title').textContent = '판매 시작을 기다리고 있습니다';
    $('wait-eyebrow').textContent = '오픈 전 대기실';
    $('prequeue-message').textContent = r.message || '판매 시작 전입니다.';
    setText('pre-waiting', `${fmt.count(r.waitingCount ?? 0)}명`);
    prequeueEnds = typeof r.etaSeconds === 'number' ? api.now() + r.etaSeconds * 1000 : null;
    setText('pre-start', prequeueEnds === null ? '-' : fmt.timeOfDay(prequeueEnds));
    tick();
    save();
    return;
  }
  prequeueEnds = null;
  $('wait-title').textContent = '예매 대기 중입니다';
  $('wait-eyebrow').textContent = '잠시만 기다려 주세요';
  const pos = r.position;
  if (!st.entryPos || pos > st.entryPos) st.entryPos = pos;
  save();
  setText('position', fmt.count(pos));
  setText('entry-pos', `입장 순서 ${fmt.count(st.entryPos)}번째`);
  setText('waiting', `${fmt.count(r.waitingCount ?? pos)}명`);
  setText('eta', r.etaSeconds == null ? '계산 중' : fmt.about(r.etaSeconds));
  const done = st.entryPos > 0 ? (st.entryPos - pos) / st.entryPos : 0;
  setProgress(done);
}

function setProgress(fraction) {
  const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  $('progress-bar').style.transform = `scaleX(${Math.max(pct, 2) / 100})`;
  $('progress').setAttribute('aria-valuenow', String(pct));
  $('progress').setAttribute('aria-valuetext', `${pct}% 진행`);
}

// sets a text only when it changes (a live region speaks changes only)
function setText(id, text) {
  const e = $(id);
  if (e.textContent === text) return false;
  e.textContent = text;
  return true;
}

// ---- the clocks: pre-queue, service time, hold ----

function tick() {
  const now = api.now();
  if (prequeueEnds !== null && view === 'wait') {
    setText('countdown', fmt.longClock((prequeueEnds - now) / 1000));
  }
  if (serviceEnds !== null) {
    const left = (serviceEnds - now) / 1000;
    setText('session-time', fmt.clock(left));
    $('session').classList.toggle('session--low', left <= 60);
    if (left <= 0) {
      serviceEnds = null;
      poll();               // the server says what happened: expire
    }
  }
  if (holdEnds !== null && view === 'pay') {
    const left = (holdEnds - now) / 1000;
    setText('hold-time', fmt.clock(left));
    $('hold-timer').classList.toggle('hold--low', left <= 30);
    if (left <= 0 && !holdExpiredShown) {
      holdExpiredShown = true;
      holdLost(HOLD_EXPIRED);
    }
  }
}

// ---- 3. admitted ----

function admitted(r) {
  stopPolling();
  setProgress(1);
  if (r && typeof r.remainingSeconds === 'number') {
    serviceEnds = api.now() + r.remainingSeconds * 1000;
    $('session').hidden = false;
    tick();
  } else {
    serviceEnds = null;
    // an entry that was admitted at once: the poll tells the time left
    api.poll().then((p) => {
      if (p.tokenStatus === 'service') admitted(p);
    }).catch(() => {});
  }
  if (view === 'shop' || view === 'pay') return;
  if (st.hold && holdAlive(st.hold)) {
    openPay();
  } else {
    st.hold = null;
    save();
    openShop();
  }
}

function holdAlive(h) {
  return Date.parse(h.holdExpiresAt) > api.now();
}

async function openShop() {
  show('shop');
  $('dates-box').hidden = true;
  $('seats-box').hidden = true;
  schedule = null;
  try {
    const r = await api.concerts();
    concerts = r.concerts || [];
    renderConcerts();
  } catch (e) {
    fail(e, openShop);
  }
}

function renderConcerts() {
  const ul = $('concerts');
  ul.replaceChildren();
  for (const c of concerts) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'choice choice--concert';
    b.disabled = !c.available;
    b.setAttribute('aria-pressed', String(!!concert && concert.concertId === c.concertId));
    const t = document.createElement('span');
    t.className = 'choice__title';
    t.textContent = c.title;
    const s = document.createElement('span');
    s.className = `badge ${c.available ? 'badge--ok' : 'badge--off'}`;
    s.textContent = c.available ? '예매 가능' : '매진';
    b.append(t, s);
    b.addEventListener('click', () => chooseConcert(c));
    li.append(b);
    ul.append(li);
  }
}

async function chooseConcert(c) {
  concert = c;
  schedule = null;
  chosenSeat = null;
  renderConcerts();
  $('seats-box').hidden = true;
  try {
    const r = await api.dates(c.concertId);
    renderDates(r.schedules || []);
  } catch (e) {
    fail(e, () => chooseConcert(c));
  }
}

function renderDates(list) {
  $('dates-box').hidden = false;
  $('dates-empty').hidden = list.length > 0;
  const ul = $('dates');
  ul.replaceChildren();
  for (const s of list) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'choice choice--date';
    b.setAttribute('aria-pressed', String(!!schedule && schedule.scheduleId === s.scheduleId));
    const d = fmt.shortDate(s.date);
    const top = document.createElement('span');
    top.className = 'choice__title';
    top.textContent = d.top;
    const mid = document.createElement('span');
    mid.className = 'choice__sub';
    mid.textContent = d.bottom;
    const left = document.createElement('span');
    left.className = 'choice__meta';
    left.textContent = `잔여 ${fmt.count(s.availableSeats)}석`;
    b.append(top, mid, left);
    b.setAttribute('aria-label', `${fmt.longDate(s.date)}, 잔여 ${s.availableSeats}석`);
    b.addEventListener('click', () => {
      schedule = s;
      for (const x of ul.querySelectorAll('button')) x.setAttribute('aria-pressed', String(x === b));
      loadSeats();
    });
    li.append(b);
    ul.append(li);
  }
  $('dates-box').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

/* The chosen date's card says what the seat list just said (the list is
 * the newer answer: after a seat taken, the count went down with it). */
function showDateCount(n) {
  const b = $('dates').querySelector('button[aria-pressed="true"]');
  if (!b || !schedule) return;
  schedule = { ...schedule, availableSeats: n };
  b.querySelector('.choice__meta').textContent = `잔여 ${fmt.count(n)}석`;
  b.setAttribute('aria-label', `${fmt.longDate(schedule.date)}, 잔여 ${n}석`);
}

async function loadSeats() {
  if (!concert || !schedule) {
    openShop();
    return;
  }
  chosenSeat = null;
  $('hold-button').disabled = true;
  $('selection-text').textContent = '좌석을 선택해 주세요.';
  try {
    const r = await api.seats(concert.concertId, schedule.date);
    schedule = { ...schedule, scheduleId: r.scheduleId };
    $('seats-box').hidden = false;
    seatmap.show(`${concert.concertId}/${r.scheduleId}`, r.availableSeats || []);
    showDateCount((r.availableSeats || []).length);
    if (seatmap.chosen) {
      chosenSeat = seatmap.seatOf(seatmap.chosen);
    }
  } catch (e) {
    fail(e, loadSeats);
  }
}

async function holdSeat() {
  if (busy || !chosenSeat) return;
  busy = true;
  $('hold-button').disabled = true;
  clearNotice();
  try {
    const r = await api.hold(concert.concertId, schedule.scheduleId, chosenSeat.seatId, st.userId);
    st.hold = {
      ticketId: r.ticketId,
      concertId: concert.concertId,
      concertTitle: concert.title,
      scheduleId: schedule.scheduleId,
      date: r.concertDate,
      seatNum: r.concertSeat,
      section: chosenSeat.section ? chosenSeat.section.name : '',
      price: r.price,
      holdExpiresAt: r.holdExpiresAt,
    };
    save();
    openPay();
  } catch (e) {
    fail(e, holdSeat);
    $('hold-button').disabled = !chosenSeat;
  } finally {
    busy = false;
  }
}

// ---- 4. charge and pay ----

function openPay() {
  const h = st.hold;
  holdExpiredShown = false;
  holdEnds = Date.parse(h.holdExpiresAt);
  $('pay-concert').textContent = h.concertTitle;
  $('pay-date').textContent = fmt.longDate(h.date);
  $('pay-seat').textContent = `${h.section ? `${h.section} ` : ''}${h.seatNum}번`;
  $('pay-price').textContent = fmt.won(h.price);
  $('pay-balance').textContent = '-';
  $('pay-short-row').hidden = true;
  $('charge-button').hidden = true;
  $('pay-button').disabled = false;
  show('pay');
  tick();
  refreshBalance();
}

async function refreshBalance() {
  try {
    const r = await api.account(st.userId);
    balance = r.point;
    renderBalance();
  } catch (e) {
    fail(e, refreshBalance);
  }
}

function shortfall() {
  return st.hold && balance !== null ? Math.max(0, st.hold.price - balance) : 0;
}

function renderBalance() {
  $('pay-balance').textContent = balance === null ? '-' : fmt.won(balance);
  const short = shortfall();
  $('pay-short-row').hidden = short === 0;
  $('pay-short').textContent = fmt.won(short);
  $('charge-button').hidden = short === 0;
  $('charge-button').textContent = `${fmt.won(short)} 충전하기`;
  $('pay-button').disabled = short > 0 || holdExpiredShown;
}

async function charge() {
  const amount = shortfall();
  if (busy || amount <= 0) return;
  busy = true;
  $('charge-button').disabled = true;
  clearNotice();
  // one key per charge: a double click or a retry after a lost answer
  // sends the same key, and the server charges once
  if (!st.charge || st.charge.amount !== amount || st.charge.ticketId !== st.hold.ticketId) {
    st.charge = { key: store.newKey(), amount, ticketId: st.hold.ticketId };
    save();
  }
  try {
    const r = await api.charge(st.userId, amount, st.charge.key);
    balance = r.point;
    st.charge = null;
    save();
    renderBalance();
    $('pay-button').focus();
  } catch (e) {
    fail(e, charge);
  } finally {
    busy = false;
    $('charge-button').disabled = false;
  }
}

async function pay() {
  if (busy || !st.hold) return;
  busy = true;
  $('pay-button').disabled = true;
  clearNotice();
  try {
    const r = await api.pay(st.hold.ticketId, st.userId);
    confirmed(r);
  } catch (e) {
    fail(e, pay);
    if (view === 'pay') renderBalance();
  } finally {
    busy = false;
  }
}

function holdLost(message) {
  holdEnds = null;
  holdExpiredShown = true;
  st.hold = null;
  st.charge = null;
  save();
  if (view === 'pay') {
    $('pay-button').disabled = true;
    $('charge-button').hidden = true;
    setText('hold-time', '00:00');
  }
  notify(message, '좌석이 해제되었습니다. 좌석을 다시 선택해 주세요.',
    [{ label: '좌석 다시 선택', primary: true, run: () => backToSeats(true) }]);
}

function backToSeats(keepNotice) {
  holdEnds = null;
  if (!keepNotice) clearNotice();
  st.hold = null;
  save();
  if (!concert || !schedule) {
    openShop();
    return;
  }
  show('shop');
  loadSeats();
}

// ---- 5. confirmation ----

function confirmed(r) {
  holdEnds = null;
  const h = st.hold || {};
  $('done-concert').textContent = r.concertTitle;
  $('done-date').textContent = fmt.longDate(r.concertDate);
  $('done-seat').textContent = `${h.section ? `${h.section} ` : ''}${r.concertSeat}번`;
  $('done-price').textContent = fmt.won(r.price);
  $('done-balance').textContent = fmt.won(r.point);
  $('done-ticket').textContent = String(r.ticketId);
  const more = r.tokenStat === 'service';
  $('more-button').hidden = !more;
  if (more) {
    st.hold = null;
    save();
  } else {
    // the payment ended the token: the next in line is admitted now
    dropToken();
  }
  show('done');
}
