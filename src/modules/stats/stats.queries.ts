/**
 * The dashboard's SQL, kept as plain text so the service and bench/stats.ts run exactly the same
 * statements. Every query takes $1 = organization ids (text[]), $2/$3 = the instant range
 * [from, to). Days are China days (fixed UTC+8, no time-zone database needed). Counts are cast to
 * int and sums to text: money never passes through a JS number on the way out.
 *
 * Which rows count:
 * - "issued in the range": invoices with issued_at in the range — blue ones are 开票 (a later 红冲
 *   does not move them out of the day they were issued), red ones are counted apart (negative).
 * - funnel: receipt codes created in the range, and what became of them since.
 * - failures and failing deliveries: created in the range.
 *
 * Indexes they rely on (src/platform/db/schema): invoices (org_id, issued_at); receipt_codes
 * (org_id, created_at); invoices (org_id, created_at) where status = 'failed'; deliveries
 * (created_at) where status <> 'sent'.
 */

const CHINA_DAY = `to_char((i.issued_at at time zone 'UTC') + interval '8 hours', 'YYYY-MM-DD')`;
const ISSUED_IN_RANGE = `i.org_id = any($1::text[]) and i.issued_at >= $2 and i.issued_at < $3`;

export const STATS_QUERIES = {
  /** Per China day: blue count and 价税合计, red count and amount. */
  daily: `
    select ${CHINA_DAY} as day,
      count(*) filter (where i.color = 'blue')::int as invoices,
      coalesce(sum(i.total_amount) filter (where i.color = 'blue'), 0)::text as amount,
      count(*) filter (where i.color = 'red')::int as red_invoices,
      coalesce(sum(i.total_amount) filter (where i.color = 'red'), 0)::text as red_amount
    from invoices i
    where ${ISSUED_IN_RANGE}
    group by 1 order by 1`,

  /** Blue invoices by type, buyer type, device and source, in one pass (grouping sets). */
  dimensions: `
    select
      case
        when grouping(i.invoice_type) = 0 then 'invoiceType'
        when grouping(i.buyer_type) = 0 then 'buyerType'
        when grouping(d.device_no) = 0 then 'device'
        else 'source'
      end as dimension,
      coalesce(i.invoice_type, i.buyer_type, d.device_no, rc.source, '') as key,
      count(*)::int as invoices,
      sum(i.total_amount)::text as amount
    from invoices i
    join receipt_codes rc on rc.id = i.receipt_code_id
    left join devices d on d.id = rc.device_id
    where ${ISSUED_IN_RANGE} and i.color = 'blue'
    group by grouping sets ((i.invoice_type), (i.buyer_type), (d.device_no), (rc.source))`,

  /** Seconds from receipt-code creation to issue, over the blue invoices issued in the range. */
  leadTime: `
    select
      percentile_cont(0.5) within group (order by extract(epoch from i.issued_at - rc.created_at))::float8 as median,
      percentile_cont(0.9) within group (order by extract(epoch from i.issued_at - rc.created_at))::float8 as p90
    from invoices i
    join receipt_codes rc on rc.id = i.receipt_code_id
    where ${ISSUED_IN_RANGE} and i.color = 'blue'`,

  /** Receipt codes created in the range: scanned, submitted (a submission made), invoiced. */
  funnel: `
    select count(*)::int as codes,
      count(*) filter (where rc.scan_count > 0)::int as scanned,
      coalesce(sum(rc.scan_count), 0)::int as scans,
      count(*) filter (where rc.status in ('issuing', 'invoiced', 'failed'))::int as submitted,
      count(*) filter (where rc.status = 'invoiced')::int as invoiced
    from receipt_codes rc
    where rc.org_id = any($1::text[]) and rc.created_at >= $2 and rc.created_at < $3`,

  /** Invoices still failed, created in the range, by the channel's reason. */
  failures: `
    select coalesce(i.failure_code, '') as code, coalesce(i.failure_reason, '') as reason, count(*)::int as count
    from invoices i
    where i.org_id = any($1::text[]) and i.status = 'failed' and i.created_at >= $2 and i.created_at < $3
    group by 1, 2 order by 3 desc, 1 limit 10`,

  /** Deliveries not sent, created in the range: given up (failed) or still retrying. */
  deliveries: `
    select dl.channel, dl.status, count(*)::int as count,
      (array_agg(dl.last_error order by dl.updated_at desc) filter (where dl.last_error is not null))[1] as last_error
    from deliveries dl
    join invoices i on i.id = dl.invoice_id
    where dl.status <> 'sent' and dl.created_at >= $2 and dl.created_at < $3 and i.org_id = any($1::text[])
      and (dl.status = 'failed' or dl.attempts > 0)
    group by 1, 2 order by 1, 2`,
} as const;

export type StatsQueryName = keyof typeof STATS_QUERIES;
