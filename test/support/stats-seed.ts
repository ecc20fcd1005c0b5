import { SHORT_CODE_ALPHABET } from "../../src/domain/short-code";
import type { ExecuteSql } from "../../src/platform/db/client";

/**
 * Generated operations data for statistics, in SQL with generate_series (a million invoices in a
 * minute or two on PostgreSQL, a few thousand in a moment on PGlite). Shared by the dashboard test
 * and bench/stats.ts. Code i of n is created at evenly spaced instants over `days` before `endAt`:
 *
 *   i % 20 = 0   active, never scanned          i % 20 = 1   active, scanned twice, not submitted
 *   i % 20 = 2   failed (channel refused)       otherwise    invoiced, scanned 1–3 times
 *
 * Invoiced codes have one blue invoice issued 30 s + (i % 600) s after the code was created; every
 * 50th (i % 50 = 3) is reversed by a red one a day later. Source: manual 6/10, push 3/10, link
 * 1/10; device one of four, none for every 7th; type special for every 3rd; buyer type cycles
 * individual, enterprise, non_enterprise. Each issued invoice has one e-mail delivery: i % 100 = 5
 * failed, i % 100 = 7 still retrying, the others sent. Amounts: 价税合计 10.00 + (i % 990).
 */
export async function seedStatsData(
  executeSql: ExecuteSql,
  options: { orgId: string; taxAccountId: string; codes: number; days: number; endAt: Date; prefix: string },
): Promise<void> {
  const { orgId, taxAccountId, codes, days, endAt, prefix } = options;
  const span = days * 86_400;
  await executeSql(
    `insert into devices (id, org_id, device_no, name)
     select $2 || '_dev' || k, $1, 'POS-' || $2 || '-' || k, '收银机 ' || k from generate_series(1, 4) k`,
    [orgId, prefix],
  );
  // Code i: created at endAt − span + i·span/n (never after endAt).
  // 开票码: drawn at random by the column's default, they collide beyond a few hundred thousand codes
  // (29^6 of them); here code i of a prefix gets the base-29 digits of its own number instead.
  const shortCode = Array.from(
    { length: 6 },
    (_, k) =>
      `substr('${SHORT_CODE_ALPHABET}', 1 + ((${shortCodeOffset(prefix)} + i) / ${29 ** (5 - k)} % 29)::int, 1)`,
  ).join(" || ");
  await executeSql(
    `insert into receipt_codes (id, org_id, token, short_code, serial_no, source, device_id, tax_account_id,
       invoice_types, default_invoice_type, expires_at, drawer, status,
       amount_excluding_tax, tax_amount, total_amount, scan_count, first_scanned_at, created_at, updated_at)
     select $4 || '_rc' || i, $1, $4 || '_tok' || i, ${shortCode}, $4 || '-' || i,
       case when i % 10 < 6 then 'manual' when i % 10 < 9 then 'push' else 'link' end,
       case when i % 7 = 0 then null else $4 || '_dev' || (1 + i % 4) end,
       $5, array['digital_normal', 'digital_special'], 'digital_normal', t + interval '30 days', '张会计',
       case i % 20 when 0 then 'active' when 1 then 'active' when 2 then 'failed' else 'invoiced' end,
       round((10 + i % 990) / 1.06, 2), (10 + i % 990) - round((10 + i % 990) / 1.06, 2), 10 + i % 990,
       case i % 20 when 0 then 0 when 1 then 2 else 1 + i % 3 end,
       case when i % 20 = 0 then null else t + interval '20 seconds' end,
       t, t
     from (select i, $3::timestamptz - make_interval(secs => $2::float8 - i::float8 * $2::float8 / $6::float8) as t
           from generate_series(0, $6::int - 1) i) g`,
    [orgId, span, endAt.toISOString(), prefix, taxAccountId, codes],
  );
  await executeSql(
    `insert into invoices (id, org_id, receipt_code_id, tax_account_id, color, invoice_type, status, serial, number,
       issued_at, buyer_type, buyer_name, buyer_tax_id, email, drawer, amount_excluding_tax, tax_amount, total_amount,
       attempts, failure_code, failure_reason, created_at, updated_at)
     select $2 || '_inv' || i, $1, rc.id, rc.tax_account_id, 'blue',
       case when i % 3 = 0 then 'digital_special' else 'digital_normal' end,
       case when i % 20 = 2 then 'failed' when i % 50 = 3 then 'reversed' else 'issued' end,
       $2 || 'S' || i,
       case when i % 20 = 2 then null else $3 || lpad(i::text, 14, '0') end,
       case when i % 20 = 2 then null else rc.created_at + make_interval(secs => 30 + i % 600) end,
       case i % 3 when 0 then 'enterprise' when 1 then 'individual' else 'non_enterprise' end,
       '购买方' || (i % 500), '', 'buyer' || i || '@example.com', '张会计',
       rc.amount_excluding_tax, rc.tax_amount, rc.total_amount, 1,
       case when i % 20 = 2 then 'CHANNEL_REJECTED' end, case when i % 20 = 2 then '税局拒绝开具' end,
       rc.created_at + interval '10 seconds', rc.created_at + interval '10 seconds'
     from (select i from generate_series(0, $4::int - 1) i where i % 20 not in (0, 1)) g
     join receipt_codes rc on rc.id = $2 || '_rc' || i`,
    [orgId, prefix, numberPrefix(prefix), codes],
  );
  await executeSql(
    `insert into invoices (id, org_id, receipt_code_id, tax_account_id, color, blue_invoice_id, reverse_reason,
       invoice_type, status, serial, number, issued_at, buyer_type, buyer_name, buyer_tax_id, drawer,
       amount_excluding_tax, tax_amount, total_amount, attempts, created_at, updated_at)
     select b.id || 'r', b.org_id, b.receipt_code_id, b.tax_account_id, 'red', b.id, '销货退回',
       b.invoice_type, 'issued', b.serial || 'R', $3 || lpad(g.i::text, 14, '0'), b.issued_at + interval '1 day',
       b.buyer_type, b.buyer_name, b.buyer_tax_id, b.drawer,
       -b.amount_excluding_tax, -b.tax_amount, -b.total_amount, 1,
       b.issued_at + interval '1 day', b.issued_at + interval '1 day'
     from (select i from generate_series(0, $2::int - 1) i where i % 50 = 3) g
     join invoices b on b.id = $1 || '_inv' || g.i`,
    [prefix, codes, numberPrefix(prefix, true)],
  );
  await executeSql(
    `insert into deliveries (id, invoice_id, channel, recipient, status, attempts, last_error, sent_at, created_at, updated_at)
     select $1 || '_dlv' || i, b.id, 'email', b.email,
       case i % 100 when 5 then 'failed' when 7 then 'pending' else 'sent' end,
       case i % 100 when 5 then 10 when 7 then 2 else 1 end,
       case i % 100 when 5 then '550 mailbox unavailable' when 7 then 'connection timed out' end,
       case when i % 100 in (5, 7) then null else b.issued_at + interval '5 seconds' end,
       b.issued_at, b.issued_at
     from (select i from generate_series(0, $2::int - 1) i where i % 20 not in (0, 1, 2)) g
     join invoices b on b.id = $1 || '_inv' || g.i`,
    [prefix, codes],
  );
}

/** Six digits from the prefix, so generated numbers (20 digits) never collide across seeds. */
function numberPrefix(prefix: string, red = false): string {
  let h = 0;
  for (const c of prefix) h = (h * 31 + c.charCodeAt(0)) % 100_000;
  return `${red ? 8 : 9}${String(h).padStart(5, "0")}`;
}

/** Where a prefix's 开票码 numbers start: 100 slots of 5 million in the 29^6 codes, by the prefix. */
function shortCodeOffset(prefix: string): number {
  let h = 0;
  for (const c of prefix) h = (h * 31 + c.charCodeAt(0)) % 100;
  return h * 5_000_000;
}
