/**
 * PostgreSQL's unique_violation (23505), seen through Drizzle's wrapper or directly, on both drivers.
 * Services turn it into a domain answer (CONFLICT, "same order again") instead of a 500.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const pgError = e as { code?: string; constraint?: string };
    if (pgError.code === "23505") return constraint === undefined || pgError.constraint === constraint;
  }
  return false;
}
