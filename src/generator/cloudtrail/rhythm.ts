import { OFFICES } from '../vocab.js';
import { HOUR } from '../time.js';

/**
 * Daily rhythms, as 168 hourly weights (one week, Sunday 00:00 UTC first) normalised to a mean of 1:
 * people work office hours in their own time zone; automation runs around the clock with a mild
 * daytime swell following customer traffic; batch jobs run at night.
 */
export type Shape = 'steady' | 'business' | 'night' | 'flat';

function normalise(week: number[]): number[] {
  const mean = week.reduce((s, x) => s + x, 0) / week.length;
  return week.map((x) => x / mean);
}

function businessWeight(localHour: number, weekday: number): number {
  if (weekday === 0 || weekday === 6) return localHour >= 10 && localHour < 17 ? 0.05 : 0.005;
  if (localHour < 7 || localHour >= 21) return 0.004;
  if (localHour < 9) return 0.25;
  if (localHour < 12) return 1;
  if (localHour < 13) return 0.6;
  if (localHour < 17) return 1;
  if (localHour < 19) return 0.45;
  return 0.12;
}

const OFFICE_SHARE = [0.5, 0.3, 0.2];

function build(shape: Shape): number[] {
  const week: number[] = [];
  for (let h = 0; h < 168; h++) {
    const weekday = Math.floor(h / 24);
    const hour = h % 24;
    if (shape === 'flat') week.push(1);
    else if (shape === 'steady') week.push((1 + 0.3 * Math.cos(((hour - 16) / 24) * 2 * Math.PI)) * (weekday === 0 || weekday === 6 ? 0.85 : 1));
    else if (shape === 'night') week.push(hour >= 1 && hour < 5 ? 6 : 0.08);
    else {
      let w = 0;
      OFFICES.forEach((o, i) => {
        const local = new Date(h * HOUR + o.utcOffset * HOUR + 3 * 86_400_000); // epoch day 0 was a Thursday; +3 days makes h=0 a Sunday
        w += OFFICE_SHARE[i] * businessWeight(local.getUTCHours(), local.getUTCDay());
      });
      week.push(w);
    }
  }
  return normalise(week);
}

const TABLES: Record<Shape, number[]> = { steady: build('steady'), business: build('business'), night: build('night'), flat: build('flat') };

/** The weight of the hour that starts at `t` (UTC epoch ms). */
export function rhythm(shape: Shape, t: number): number {
  const d = new Date(t);
  return TABLES[shape][d.getUTCDay() * 24 + d.getUTCHours()];
}
