// format.js: numbers, money, dates and durations the Korean way.

const NUM = new Intl.NumberFormat('ko-KR');

export function count(n) {
  return NUM.format(n);
}

export function won(n) {
  return `${NUM.format(n)}원`;
}

/** "2026-12-24" -> "2026년 12월 24일 (목)" */
export function longDate(ymd) {
  const d = parseYmd(ymd);
  if (!d) return ymd;
  return `${d.y}년 ${d.m}월 ${d.d}일 (${weekday(d)})`;
}

/** "2026-12-24" -> { top: "12.24", bottom: "목" } */
export function shortDate(ymd) {
  const d = parseYmd(ymd);
  if (!d) return { top: ymd, bottom: '' };
  return { top: `${d.m}월 ${d.d}일`, bottom: `${weekday(d)}요일` };
}

function parseYmd(ymd) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd || '');
  if (!m) return null;
  return { y: +m[1], m: +m[2], d: +m[3] };
}

function weekday({ y, m, d }) {
  return '일월화수목금토'[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
}

/** seconds -> "04:59" (or "1:04:59" past an hour) */
export function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** seconds -> "01:02:03" always with hours (the pre-queue countdown) */
export function longClock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  return `${String(h).padStart(2, '0')}:${clock(s - h * 3600).padStart(5, '0')}`;
}

/** seconds -> "약 3분", "1분 미만", "약 1시간 5분" */
export function about(seconds) {
  if (seconds < 60) return '1분 미만';
  const min = Math.ceil(seconds / 60);
  if (min < 60) return `약 ${min}분`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return m ? `약 ${h}시간 ${m}분` : `약 ${h}시간`;
}

/** seconds -> spoken form for screen readers: "4분 59초" */
export function spoken(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (m && r) return `${m}분 ${r}초`;
  return m ? `${m}분` : `${r}초`;
}

/** ms since the epoch -> "오후 8:00" in the browser's time zone, with the
 * date when it is not today ("12월 24일 오후 8:00") */
export function timeOfDay(ms) {
  const d = new Date(ms);
  const time = d.toLocaleTimeString('ko-KR', { hour: 'numeric', minute: '2-digit' });
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.getMonth() + 1}월 ${d.getDate()}일 ${time}`;
}
