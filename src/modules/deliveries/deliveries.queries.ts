import { hotStatement } from "../../platform/db/records";

/**
 * Deliveries ($1) sent within one batching window, each with its e-mail's token ($2, same order;
 * null for an SMS), marked sent together: one statement per window. Only a pending one: a refusal
 * or a bounce recorded meanwhile stays.
 */
export const DELIVERIES_SENT = hotStatement<[ids: string[], tokens: Array<string | null>]>(
  "deliveries_sent",
  `
update deliveries d set attempts = d.attempts + 1, status = 'sent', sent_at = now(), last_error = null,
  next_attempt_at = null, mail_token = m.token, updated_at = now()
from unnest($1::text[], $2::text[]) as m(id, token)
where d.id = m.id and d.status = 'pending'`,
);
