/**
 * Invoices and receipts show China Standard Time (UTC+8, no daylight saving) whatever the server's
 * time zone, so we shift the instant by eight hours and read the UTC fields.
 */

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

interface ChinaParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

function chinaParts(instant: Date): ChinaParts {
  const time = instant.getTime();
  if (Number.isNaN(time)) throw new RangeError("documents: invalid date");
  const shifted = new Date(time + CHINA_OFFSET_MS);
  const pad = (value: number) => String(value).padStart(2, "0");
  return {
    year: String(shifted.getUTCFullYear()),
    month: pad(shifted.getUTCMonth() + 1),
    day: pad(shifted.getUTCDate()),
    hour: pad(shifted.getUTCHours()),
    minute: pad(shifted.getUTCMinutes()),
    second: pad(shifted.getUTCSeconds()),
  };
}

/** `2024年01月05日`, as printed in 开票日期. */
export function chinaDateLabel(instant: Date): string {
  const p = chinaParts(instant);
  return `${p.year}年${p.month}月${p.day}日`;
}

/** `2024-01-05 12:34:56`. */
export function chinaDateTime(instant: Date): string {
  const p = chinaParts(instant);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** `2024-01-05 12:34`. */
export function chinaMinute(instant: Date): string {
  const p = chinaParts(instant);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** `2024-01-05`, the XML's IssueTime. */
export function chinaDay(instant: Date): string {
  const p = chinaParts(instant);
  return `${p.year}-${p.month}-${p.day}`;
}
