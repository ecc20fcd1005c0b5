/**
 * Dates as printed on an invoice are China Standard Time (UTC+8). China has kept a fixed offset with
 * no daylight saving since 1991, so a constant offset is exact for any invoice date and needs no
 * time-zone database.
 */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

export interface ChinaDate {
  year: number;
  month: number;
  day: number;
}

export function chinaDate(instant: Date): ChinaDate {
  if (Number.isNaN(instant.getTime())) throw new RangeError("invalid date");
  const shifted = new Date(instant.getTime() + CHINA_OFFSET_MS);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** `YYYYMMDD` in China time. */
export function chinaDateCompact(instant: Date): string {
  const { year, month, day } = chinaDate(instant);
  return `${String(year).padStart(4, "0")}${String(month).padStart(2, "0")}${String(day).padStart(2, "0")}`;
}

/** `YYYY-MM-DD` in China time. */
export function chinaDateIso(instant: Date): string {
  const c = chinaDateCompact(instant);
  return `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}`;
}

/** `2024年01月05日`, as printed in 开票日期. */
export function chinaDateLabel(instant: Date): string {
  const { year, month, day } = chinaDate(instant);
  return `${String(year).padStart(4, "0")}年${pad(month)}月${pad(day)}日`;
}

/** `2024-01-05 12:34:56` in China time. */
export function chinaDateTime(instant: Date): string {
  return `${chinaMinute(instant)}:${pad(new Date(instant.getTime() + CHINA_OFFSET_MS).getUTCSeconds())}`;
}

/** `2024-01-05 12:34` in China time. */
export function chinaMinute(instant: Date): string {
  const shifted = new Date(instant.getTime() + CHINA_OFFSET_MS);
  return `${chinaDateIso(instant)} ${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}`;
}

/** A China-time calendar day `YYYY-MM-DD` as the instant it starts, plus whole days: "2026-03-05" → 2026-03-04T16:00Z. */
export function chinaDayStart(day: string, plusDays = 0): Date {
  return new Date(new Date(`${day}T00:00:00+08:00`).getTime() + plusDays * 86_400_000);
}

const pad = (value: number) => String(value).padStart(2, "0");
