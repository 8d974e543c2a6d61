// seatmap.js: the seat map of one date. The API lists the free seats
// (seatId, seatNum, price); a seat number missing from the list is taken.
// Sections are the prices, dearest first; the hall is as large as the
// highest seat number seen for the date. Keyboard: one tab stop (the
// chosen seat, or the first free one), arrow keys move, Enter or Space
// chooses.

import { won } from './format.js';

const COLS = 10;
const NAMES = ['VIP석', 'R석', 'S석', 'A석', 'B석', 'C석'];

/** Sections from the prices: [{ price, name, tone }] dearest first. */
export function sections(prices) {
  const list = [...new Set(prices)].sort((a, b) => b - a);
  if (list.length === 1) return [{ price: list[0], name: '일반석', tone: 1 }];
  return list.map((price, i) => ({
    price,
    name: NAMES[i] || `${i + 1}구역`,
    tone: Math.min(i, 5),
  }));
}

export class SeatMap {
  constructor(root, legend, onChoose) {
    this.root = root;
    this.legend = legend;
    this.onChoose = onChoose;
    this.seats = [];          // [{ num, seat | null, section | null }]
    this.chosen = null;       // seatNum
    this.sizeByDate = new Map();
    this.sectionByNum = new Map();
    root.addEventListener('keydown', (e) => this.onKey(e));
    root.addEventListener('click', (e) => {
      const b = e.target.closest('button.seat');
      if (b) this.choose(Number(b.dataset.num), false);
    });
  }

  /** key: the date's schedule; free: the API's availableSeats. */
  show(key, free) {
    const known = this.sizeByDate.get(key) || 0;
    const size = Math.max(known, ...free.map((s) => s.seatNum), 0);
    this.sizeByDate.set(key, size);
    const secs = sections(free.map((s) => s.price));
    const byNum = new Map(free.map((s) => [s.seatNum, s]));
    // a taken seat keeps the section it had when it was last seen free
    for (const s of free) this.sectionByNum.set(`${key}/${s.seatNum}`, s.price);
    this.seats = [];
    for (let n = 1; n <= size; n++) {
      const seat = byNum.get(n) || null;
      const price = seat ? seat.price : this.sectionByNum.get(`${key}/${n}`);
      this.seats.push({ num: n, seat, section: secs.find((x) => x.price === price) || null });
    }
    if (this.chosen && !byNum.has(this.chosen)) this.chosen = null;
    this.renderLegend(secs, free.length);
    this.render();
  }

  renderLegend(secs, freeCount) {
    this.legend.replaceChildren();
    for (const s of secs) {
      const item = el('span', `legend__item tone-${s.tone}`);
      item.append(el('span', 'legend__swatch'), text(`${s.name} ${won(s.price)}`));
      this.legend.append(item);
    }
    const taken = el('span', 'legend__item legend__item--taken');
    taken.append(el('span', 'legend__swatch'), text('선택 불가'));
    this.legend.append(taken);
    const left = el('span', 'legend__count');
    left.textContent = `남은 좌석 ${freeCount}석`;
    this.legend.append(left);
  }

  render() {
    this.root.replaceChildren();
    const first = this.seats.find((s) => s.seat);
    const stop = this.chosen || (first && first.num);
    let row;
    this.seats.forEach((s, i) => {
      if (i % COLS === 0) {
        row = el('div', 'seatrow');
        this.root.append(row);
      }
      const b = el('button', 'seat');
      b.type = 'button';
      b.dataset.num = String(s.num);
      b.textContent = String(s.num);
      b.tabIndex = s.num === stop ? 0 : -1;
      if (s.section) b.classList.add(`tone-${s.section.tone}`);
      if (s.seat) {
        const what = s.section ? `${s.section.name} ` : '';
        b.setAttribute('aria-label', `${what}${s.num}번 좌석, ${won(s.seat.price)}`);
        b.setAttribute('aria-pressed', String(s.num === this.chosen));
      } else {
        b.classList.add('seat--taken');
        b.setAttribute('aria-disabled', 'true');
        b.setAttribute('aria-label', `${s.num}번 좌석, 선택 불가`);
      }
      if (i % COLS === COLS / 2 - 1) b.classList.add('seat--aisle');
      row.append(b);
    });
  }

  seatOf(num) {
    const s = this.seats[num - 1];
    return s && s.seat ? { ...s.seat, section: s.section } : null;
  }

  choose(num, fromKeyboard) {
    const s = this.seatOf(num);
    if (!s) return;
    this.chosen = num;
    for (const b of this.root.querySelectorAll('button.seat')) {
      const n = Number(b.dataset.num);
      if (b.getAttribute('aria-disabled') !== 'true') {
        b.setAttribute('aria-pressed', String(n === num));
      }
      b.tabIndex = n === num ? 0 : -1;
    }
    if (fromKeyboard) this.button(num).focus();
    this.onChoose(s);
  }

  button(num) {
    return this.root.querySelector(`button.seat[data-num="${num}"]`);
  }

  onKey(e) {
    const b = e.target.closest('button.seat');
    if (!b) return;
    const num = Number(b.dataset.num);
    const size = this.seats.length;
    let next = null;
    switch (e.key) {
      case 'ArrowRight': next = Math.min(size, num + 1); break;
      case 'ArrowLeft': next = Math.max(1, num - 1); break;
      case 'ArrowDown': next = num + COLS <= size ? num + COLS : num; break;
      case 'ArrowUp': next = num - COLS >= 1 ? num - COLS : num; break;
      case 'Home': next = num - ((num - 1) % COLS); break;
      case 'End': next = Math.min(size, num - ((num - 1) % COLS) + COLS - 1); break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.choose(num, true);
        return;
      default:
        return;
    }
    e.preventDefault();
    for (const x of this.root.querySelectorAll('button.seat')) x.tabIndex = -1;
    const target = this.button(next);
    target.tabIndex = 0;
    target.focus();
  }
}

function el(tag, cls) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

function text(t) {
  return document.createTextNode(t);
}
