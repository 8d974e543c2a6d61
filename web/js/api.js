// api.js: the mod_ticket API (../../openapi.yaml) as the page uses it.
// Every call resolves to the parsed JSON body of a 2xx answer, or throws
// an ApiError carrying the API's Korean message and code (or a message of
// the page's own when no JSON error came back: the network, a proxy).

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;        // 0: no answer at all
    this.code = code;
    this.retryAfter = retryAfter; // seconds, from Retry-After (503)
  }
}

export const MSG = {
  network: '서버에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.',
  unexpected: '요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.',
};

export class Api {
  /** base: the API's URL (absolute or relative to the page). */
  constructor(base) {
    this.base = new URL(base || '/', document.baseURI);
    this.token = null;
    this.clockSkewMs = 0;        // server clock minus ours, from Date
  }

  url(path) {
    return new URL(path.replace(/^\//, ''), this.base).href;
  }

  /** The server's "now" in ms, from the Date header of the last answer. */
  now() {
    return Date.now() + this.clockSkewMs;
  }

  async request(method, path, { body, headers = {}, token = true } = {}) {
    const h = { Accept: 'application/json', ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    // Queue-Token works in both identity modes (Authorization belongs to
    // the site's login in RemoteUser mode)
    if (token && this.token) h['Queue-Token'] = this.token;
    let res;
    const sent = Date.now();
    try {
      res = await fetch(this.url(path), {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK', MSG.network, null);
    }
    const date = Date.parse(res.headers.get('Date') || '');
    if (!Number.isNaN(date)) {
      // Date has whole seconds: the middle of its second, against the
      // middle of the round trip
      this.clockSkewMs = date + 500 - (sent + Date.now()) / 2;
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (res.ok && data && typeof data === 'object') return data;
    const retry = parseInt(res.headers.get('Retry-After') || '', 10);
    if (data && typeof data.error === 'string') {
      throw new ApiError(res.status, data.code || '', data.error,
        Number.isFinite(retry) ? retry : null);
    }
    throw new ApiError(res.status, 'UNEXPECTED', MSG.unexpected,
      Number.isFinite(retry) ? retry : null);
  }

  // 1. enter the queue (userId: Body mode; omitted where the login is the identity)
  enter(userId) {
    return this.request('POST', 'queues', {
      body: userId == null ? {} : { userId: String(userId) },
      token: false,
    });
  }

  // 2. poll
  poll() {
    return this.request('GET', 'queues');
  }

  // 3-5. lookups
  concerts() {
    return this.request('GET', 'concerts');
  }

  dates(concertId) {
    return this.request('GET', `concerts/${enc(concertId)}/dates`);
  }

  seats(concertId, date) {
    return this.request('GET', `concerts/${enc(concertId)}/dates/${enc(date)}/seats`);
  }

  // 6. hold a seat
  hold(concertId, scheduleId, seatId, userId) {
    return this.request('POST',
      `concerts/${enc(concertId)}/schedules/${enc(scheduleId)}/seats/${enc(seatId)}/ticket`,
      { body: { userId: String(userId) } });
  }

  // 7. charge; the key makes a repeated request (a double click, a retry
  // after a lost answer) charge once
  charge(userId, amount, idempotencyKey) {
    return this.request('PATCH', 'payments/charges', {
      body: { userId: String(userId), amount },
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  // 8. balance
  account(userId) {
    return this.request('GET', `payments/${enc(userId)}/accounts?limit=1`);
  }

  // 9. pay
  pay(ticketId, userId) {
    return this.request('POST', 'payments/pays', {
      body: { ticketId: String(ticketId), userId: String(userId) },
    });
  }
}

function enc(v) {
  return encodeURIComponent(String(v));
}

/** The user id inside a token (`<seq>.<userId>.<mac>`, openapi.yaml's
 * UserToken): where the login is the identity the page has no other. */
export function tokenUser(token) {
  const m = /^([1-9][0-9]{0,18})\.([1-9][0-9]{0,18})\.[A-Za-z0-9_-]{43}$/.exec(token || '');
  return m ? m[2] : null;
}

/** The token's queue number, to tell one token from the next. */
export function tokenSeq(token) {
  const m = /^([1-9][0-9]{0,18})\./.exec(token || '');
  return m ? m[1] : null;
}
