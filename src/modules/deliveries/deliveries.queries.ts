import { hotStatement } from "../../platform/db/records";

/** Deliveries ($1) sent within one batching window, marked sent together: one statement per window. */
export const DELIVERIES_SENT = hotStatement<[ids: string[]]>(
  "deliveries_sent",
  `
update deliveries set attempts = attempts + 1, status = 'sent', sent_at = now(), last_error = null,
  next_attempt_at = null, updated_at = now()
where id = any($1::text[])`,
);
