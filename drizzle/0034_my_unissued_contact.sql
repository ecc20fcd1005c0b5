-- 我的发票 (issue 22): an invoice without a number — still issuing, held for 审核开票, failed or
-- declined — has no delivery yet, so the list also finds the invoices whose submit recorded the
-- session's e-mail address (compared in lower case, as deliveries are) or mobile number. Only those
-- statuses are indexed (the statuses of invoice-status.ts's UNISSUED_STATUSES, which the query
-- writes as the same literals); an issued invoice is found by its deliveries.
CREATE INDEX "invoices_unissued_email_idx" ON "invoices" USING btree (lower("email")) WHERE "invoices"."status" in ('pending', 'issuing', 'confirmation_pending', 'failed', 'awaiting_review', 'review_refused');--> statement-breakpoint
CREATE INDEX "invoices_unissued_mobile_idx" ON "invoices" USING btree ("mobile") WHERE "invoices"."status" in ('pending', 'issuing', 'confirmation_pending', 'failed', 'awaiting_review', 'review_refused');
