/**
 * A stand-in's clock. `manual`: starts at a fixed instant and moves only when told (tests assert
 * exact times and numbers); `real`: follows the wall clock, plus any offset it was moved by (demos).
 */
export class StandinClock {
  private offsetMs = 0;
  private fixed: number;

  constructor(
    readonly mode: "manual" | "real" = "manual",
    start: Date = new Date("2026-01-05T02:00:00.000Z"),
  ) {
    this.fixed = start.getTime();
  }

  now(): Date {
    return new Date(this.ms());
  }

  ms(): number {
    return (this.mode === "manual" ? this.fixed : Date.now()) + this.offsetMs;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error("advance: a non-negative number of milliseconds");
    this.offsetMs += ms;
  }

  set(instant: Date): void {
    if (this.mode === "manual") {
      this.fixed = instant.getTime();
      this.offsetMs = 0;
    } else this.offsetMs = instant.getTime() - Date.now();
  }
}

/** `yyyy-MM-dd HH:mm:ss` in China time (UTC+8), as Chinese channels print times. */
export function chinaTimeText(instant: Date): string {
  const s = new Date(instant.getTime() + 8 * 3600_000).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 19)}`;
}
