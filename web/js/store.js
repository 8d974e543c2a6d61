// store.js: what the page keeps across a reload, in this tab's session
// storage: the queue token (so a reload keeps the place), the position at
// entry (the progress bar's start), the hold being paid for, and the
// pending charge's Idempotency-Key.

const KEY = 'mod_ticket.session';

export function load() {
  try {
    const v = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return v && typeof v === 'object' ? v : {};
  } catch (e) {
    return {};
  }
}

export function save(state) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(state));
  } catch (e) {
    // private mode or full: the page works, a reload starts over
  }
}

export function clear() {
  try {
    sessionStorage.removeItem(KEY);
  } catch (e) {
    // nothing kept
  }
}

/** A new Idempotency-Key: 1-64 printable ASCII characters. */
export function newKey() {
  if (crypto.randomUUID) return `ui-${crypto.randomUUID()}`;
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return `ui-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}
