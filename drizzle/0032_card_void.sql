-- 微信卡包 after 红冲 (CHANNELS.md §5.3): a card in a consumer's 卡包 whose invoice is reversed is voided
-- with /card/invoice/platform/updatestatus (INVOICE_REIMBURSE_CANCEL). The need is recorded on the card
-- in the transaction that saves the red invoice (status `voiding`, `void_red_invoice_id`) and the
-- card-void sweep calls WeChat when `next_attempt_at` is due, with backoff, until it is `voided`.
ALTER TABLE "wechat_invoice_cards" ADD COLUMN "card_id" text;--> statement-breakpoint
ALTER TABLE "wechat_invoice_cards" ADD COLUMN "void_red_invoice_id" text;--> statement-breakpoint
ALTER TABLE "wechat_invoice_cards" ADD COLUMN "void_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "wechat_invoice_cards" ADD COLUMN "void_unanswered" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "wechat_invoice_cards" ADD COLUMN "voided_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "wechat_invoice_cards" ADD COLUMN "next_attempt_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "wechat_invoice_cards_void_due_idx" ON "wechat_invoice_cards" USING btree ("next_attempt_at") WHERE "wechat_invoice_cards"."status" = 'voiding';--> statement-breakpoint
-- Cards inserted before this migration whose invoice was reversed since (in full or in part): voided
-- by the sweep as soon as a worker runs.
UPDATE "wechat_invoice_cards" AS c
SET "status" = 'voiding',
    "next_attempt_at" = now(),
    "void_red_invoice_id" = (
      SELECT r."id" FROM "invoices" r
      WHERE r."blue_invoice_id" = c."invoice_id" AND r."status" = 'issued'
      ORDER BY r."issued_at" LIMIT 1)
WHERE c."status" = 'inserted'
  AND EXISTS (
    SELECT 1 FROM "invoices" i
    WHERE i."id" = c."invoice_id" AND i."status" IN ('reversed', 'partially_reversed'));
