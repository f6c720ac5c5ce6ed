/** Times are epoch milliseconds (UTC) inside the generator; formatted only when written. */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** 2026-11-01 */
export function isoDate(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** 2026-11-01T09:12:33Z: CloudTrail's eventTime. */
export function ctTime(t: number): string {
  return new Date(t).toISOString().slice(0, 19) + 'Z';
}

/** 2026-11-01T09:12:33+00:00: how the AWS CLI prints IAM dates and the credential report writes them. */
export function awsTime(t: number): string {
  return new Date(t).toISOString().slice(0, 19) + '+00:00';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Nov 1, 2026, 10:12:33 AM": the odd format STS credentials' expiration has in CloudTrail. */
export function stsExpiration(t: number): string {
  const d = new Date(t);
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** 20261101T0905Z: the stamp in CloudTrail log file names. */
export function ctFileStamp(t: number): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
}

/** YYYY/MM/DD folder of a CloudTrail delivery. */
export function ctDayPath(t: number): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
}

/** Local hour (0-23) and weekday (0 Sunday) of a UTC time at a fixed offset. */
export function localClock(t: number, utcOffsetHours: number): { hour: number; weekday: number } {
  const d = new Date(t + utcOffsetHours * HOUR);
  return { hour: d.getUTCHours(), weekday: d.getUTCDay() };
}
