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
 * Issued invoices come from the rollup (stats_daily) for settled days and live for recent ones;
 * the funnel, failures and failing deliveries are counted live. A settled day is built when first
 * asked for, and built again when its invoices changed since (stats_dirty_days, written by
 * triggers on invoices: drizzle/0003_stats_dirty_trigger.sql). Indexes they rely on
 * (src/platform/db/schema): invoices (org_id, issued_at); receipt_codes (org_id, created_at);
 * invoices (org_id, created_at) where status = 'failed'; deliveries (created_at) where
 * status <> 'sent'; the rollup's primary key (org_id, day, dimension, key); the primary keys of
 * stats_days and stats_dirty_days (org_id, day).
 */

const LEAD = "extract(epoch from i.issued_at - rc.created_at)";

/**
 * Lead-time histogram buckets, in seconds: 10 s wide below 10 minutes, 1 minute below 2 hours,
 * 10 minutes below 2 days, an hour beyond (leadBucketWidth mirrors this).
 */
const LEAD_BUCKET = `case when i.color <> 'blue' then null
    when ${LEAD} < 600 then greatest(floor(${LEAD} / 10) * 10, 0)
    when ${LEAD} < 7200 then floor(${LEAD} / 60) * 60
    when ${LEAD} < 172800 then floor(${LEAD} / 600) * 600
    else floor(${LEAD} / 3600) * 3600 end`;

export function leadBucketWidth(start: number): number {
  if (start < 600) return 10;
  if (start < 7200) return 60;
  if (start < 172_800) return 600;
  return 3600;
}

/**
 * Invoices issued in [$2, $3) of organizations $1 by organization, China day and dimension, in one
 * pass (grouping sets). The rollup stores exactly these rows for settled days; recent days are
 * read through the same statement live, so both parts always agree.
 */
const BY_DAY_AND_DIMENSION = `
    select org_id, day,
      case
        when grouping(invoice_type) = 0 then 'invoiceType'
        when grouping(buyer_type) = 0 then 'buyerType'
        when grouping(device_no) = 0 then 'device'
        when grouping(source) = 0 then 'source'
        when grouping(lead) = 0 then 'lead'
        else 'total'
      end as dimension,
      coalesce(invoice_type, buyer_type, device_no, source, lead::bigint::text, '') as key,
      count(*) filter (where color = 'blue')::int as invoices,
      coalesce(sum(total_amount) filter (where color = 'blue'), 0) as amount,
      count(*) filter (where color = 'red')::int as red_invoices,
      coalesce(sum(total_amount) filter (where color = 'red'), 0) as red_amount
    from (
      select i.org_id, i.color, i.invoice_type, i.buyer_type, i.total_amount, rc.source, d.device_no,
        ((i.issued_at at time zone 'UTC') + interval '8 hours')::date as day, ${LEAD_BUCKET} as lead
      from invoices i
      join receipt_codes rc on rc.id = i.receipt_code_id
      left join devices d on d.id = rc.device_id
      where i.org_id = any($1::text[]) and i.issued_at >= $2 and i.issued_at < $3
    ) x
    group by grouping sets ((org_id, day), (org_id, day, invoice_type), (org_id, day, buyer_type),
      (org_id, day, device_no), (org_id, day, source), (org_id, day, lead))`;

const CHINA_DAY = (column: string) => `((${column} at time zone 'UTC') + interval '8 hours')::date`;

/**
 * The funnel, failures and failing deliveries of organizations $1 created in [$2, $3), by
 * organization and China day of creation, as the rows of stats_daily_activity. The funnel's
 * `invoiced` leaves out merged codes: whether one counts depends on another code (its submission's),
 * so they are counted live (mergedInvoiced).
 */
const ACTIVITY_BY_DAY = `
    select f.org_id, f.day, 'funnel' as kind, k.key, k.count, null::text as last_error,
      null::timestamptz as last_error_at
    from (
      select rc.org_id, ${CHINA_DAY("rc.created_at")} as day, count(*)::int as codes,
        count(*) filter (where rc.scan_count > 0)::int as scanned, coalesce(sum(rc.scan_count), 0)::int as scans,
        count(*) filter (where rc.status in ('issuing', 'invoiced', 'failed', 'merged'))::int as submitted,
        count(*) filter (where rc.status = 'invoiced')::int as invoiced
      from receipt_codes rc
      where rc.org_id = any($1::text[]) and rc.created_at >= $2 and rc.created_at < $3
      group by 1, 2
    ) f
    cross join lateral (values ('codes', f.codes), ('scanned', f.scanned), ('scans', f.scans),
      ('submitted', f.submitted), ('invoiced', f.invoiced)) k(key, count)
    union all
    select i.org_id, ${CHINA_DAY("i.created_at")}, 'failure',
      json_build_array(coalesce(i.failure_code, ''), coalesce(i.failure_reason, ''))::text, count(*)::int, null, null
    from invoices i
    where i.org_id = any($1::text[]) and i.status = 'failed' and i.created_at >= $2 and i.created_at < $3
    group by 1, 2, 4
    union all
    select i.org_id, ${CHINA_DAY("dl.created_at")}, 'delivery', json_build_array(dl.channel, dl.status)::text,
      count(*)::int,
      (array_agg(dl.last_error order by dl.updated_at desc) filter (where dl.last_error is not null))[1],
      max(dl.updated_at) filter (where dl.last_error is not null)
    from deliveries dl
    join invoices i on i.id = dl.invoice_id
    where dl.status <> 'sent' and dl.status <> 'delivered' and dl.created_at >= $2 and dl.created_at < $3
      and i.org_id = any($1::text[]) and (dl.status = 'failed' or dl.attempts > 0)
    group by 1, 2, 4`;

export const STATS_QUERIES = {
  /** Recent (unsettled) days, counted live. */
  live: `select org_id, to_char(day, 'YYYY-MM-DD') as day, dimension, key, invoices, amount::text as amount,
      red_invoices, red_amount::text as red_amount
    from (${BY_DAY_AND_DIMENSION}) r`,

  /**
   * Settled days of $1 from the rollup, $2..$3 as dates (inclusive): the totals per day, the other
   * dimensions summed over the days (the dashboard shows them for the whole range; day is null).
   */
  settled: `
    select case when dimension = 'total' then to_char(day, 'YYYY-MM-DD') end as day, dimension, key,
      sum(invoices)::int as invoices, sum(amount)::text as amount, sum(red_invoices)::int as red_invoices,
      sum(red_amount)::text as red_amount
    from stats_daily
    where org_id = any($1::text[]) and day >= $2::date and day <= $3::date
    group by 1, 2, 3`,

  /**
   * The days in $2..$3 (dates) to build, per organization, as runs of consecutive days: the ones the
   * rollup does not hold yet and the ones marked dirty since, with the marks read (`dirty`, a JSON
   * array of { day, marks }) so that markDays clears only marks no later change has bumped.
   */
  missingDays: `
    select org_id, to_char(min(d), 'YYYY-MM-DD') as first, to_char(max(d), 'YYYY-MM-DD') as last,
      coalesce(json_agg(json_build_object('day', to_char(d, 'YYYY-MM-DD'), 'marks', marks))
        filter (where marks is not null), '[]') as dirty
    from (
      select o as org_id, g::date as d, x.marks,
        g::date - (row_number() over (partition by o order by g))::int as run
      from unnest($1::text[]) o cross join generate_series($2::date, $3::date, interval '1 day') g
      left join stats_dirty_days x on x.org_id = o and x.day = g::date
      where x.org_id is not null or not exists (select 1 from stats_days s where s.org_id = o and s.day = g::date)
    ) m
    group by org_id, run
    order by org_id, first`,

  /**
   * (Re)builds the rollup for [$2, $3) (instants, China day starts) in one statement: upserts the
   * rows of the days and deletes the rows of those days no invoice produces any more (a key whose
   * last invoice moved away). Readers see the days before or after, never half-built.
   */
  buildRollup: `
    with fresh as materialized (
      select org_id, day, dimension, key, invoices, amount, red_invoices, red_amount
      from (${BY_DAY_AND_DIMENSION}) r
      where not (dimension = 'lead' and invoices = 0)
    ), upserted as (
      insert into stats_daily (org_id, day, dimension, key, invoices, amount, red_invoices, red_amount)
      select org_id, day, dimension, key, invoices, amount, red_invoices, red_amount from fresh
      on conflict (org_id, day, dimension, key) do update set invoices = excluded.invoices,
        amount = excluded.amount, red_invoices = excluded.red_invoices, red_amount = excluded.red_amount
      returning 1
    ), stale as (
      delete from stats_daily s
      where s.org_id = any($1::text[])
        and s.day >= (($2::timestamptz at time zone 'UTC') + interval '8 hours')::date
        and s.day < (($3::timestamptz at time zone 'UTC') + interval '8 hours')::date
        and not exists (select 1 from fresh f where f.org_id = s.org_id and f.day = s.day
          and f.dimension = s.dimension and f.key = s.key)
      returning 1
    )
    select (select count(*) from upserted)::int as upserted, (select count(*) from stale)::int as deleted`,

  /** (Re)builds the activity rollup for [$2, $3) (instants, China day starts), as buildRollup does. */
  buildActivity: `
    with fresh as materialized (${ACTIVITY_BY_DAY}
    ), upserted as (
      insert into stats_daily_activity (org_id, day, kind, key, count, last_error, last_error_at)
      select org_id, day, kind, key, count, last_error, last_error_at from fresh
      on conflict (org_id, day, kind, key) do update set count = excluded.count,
        last_error = excluded.last_error, last_error_at = excluded.last_error_at
      returning 1
    ), stale as (
      delete from stats_daily_activity s
      where s.org_id = any($1::text[])
        and s.day >= (($2::timestamptz at time zone 'UTC') + interval '8 hours')::date
        and s.day < (($3::timestamptz at time zone 'UTC') + interval '8 hours')::date
        and not exists (select 1 from fresh f where f.org_id = s.org_id and f.day = s.day
          and f.kind = s.kind and f.key = s.key)
      returning 1
    )
    select (select count(*) from upserted)::int as upserted, (select count(*) from stale)::int as deleted`,

  /**
   * The activity rollup of $1 over settled days $2..$3 (dates, inclusive), summed per kind and key;
   * a delivery key's last error is the one updated last over the days.
   */
  settledActivity: `
    select kind, key, sum(count)::int as count,
      (array_agg(last_error order by last_error_at desc) filter (where last_error is not null))[1] as last_error,
      max(last_error_at) as last_error_at
    from stats_daily_activity
    where org_id = any($1::text[]) and day >= $2::date and day <= $3::date
    group by 1, 2`,

  /** Codes of $1 created in [$2, $3) merged into a submission whose own code is invoiced. */
  mergedInvoiced: `
    select count(*)::int as invoiced
    from receipt_codes rc
    where rc.org_id = any($1::text[]) and rc.status = 'merged' and rc.created_at >= $2 and rc.created_at < $3
      and exists (
        select 1 from submission_codes sc
        join submissions s on s.id = sc.submission_id
        join receipt_codes p on p.id = s.receipt_code_id
        where sc.receipt_code_id = rc.id and p.status = 'invoiced')`,

  /**
   * The first instant organization $1 has anything the dashboard counts (a receipt code or an
   * invoice; deliveries come after their invoice): where the background refresh starts.
   */
  firstActivity: `
    select least(
      (select min(created_at) from receipt_codes where org_id = $1),
      (select min(issued_at) from invoices where org_id = $1),
      (select min(created_at) from invoices where org_id = $1)) as first`,

  /**
   * Marks days $2..$3 (dates) of organizations $1 as held by the rollup, and clears the dirty marks
   * $4 (missingDays' `dirty`) that are unchanged: a mark bumped since was read is kept.
   */
  markDays: `
    with held as (
      insert into stats_days (org_id, day)
      select o, d::date from unnest($1::text[]) o cross join generate_series($2::date, $3::date, interval '1 day') d
      on conflict do nothing
      returning 1
    ), cleared as (
      delete from stats_dirty_days x
      using json_to_recordset($4::json) c(day date, marks int)
      where x.org_id = any($1::text[]) and x.day = c.day and x.marks = c.marks
      returning 1
    )
    select (select count(*) from held)::int as held, (select count(*) from cleared)::int as cleared`,

  /**
   * Receipt codes created in the range: scanned, submitted (a submission made), invoiced. A code
   * merged into another's submission (合并开票) counts as submitted, and as invoiced with that code.
   */
  funnel: `
    select count(*)::int as codes,
      count(*) filter (where rc.scan_count > 0)::int as scanned,
      coalesce(sum(rc.scan_count), 0)::int as scans,
      count(*) filter (where rc.status in ('issuing', 'invoiced', 'failed', 'merged'))::int as submitted,
      count(*) filter (where rc.status = 'invoiced' or (rc.status = 'merged' and exists (
        select 1 from submission_codes sc
        join submissions s on s.id = sc.submission_id
        join receipt_codes p on p.id = s.receipt_code_id
        where sc.receipt_code_id = rc.id and p.status = 'invoiced')))::int as invoiced
    from receipt_codes rc
    where rc.org_id = any($1::text[]) and rc.created_at >= $2 and rc.created_at < $3`,

  /** Invoices still failed, created in the range, by the channel's reason (the service keeps the top 10). */
  failures: `
    select coalesce(i.failure_code, '') as code, coalesce(i.failure_reason, '') as reason, count(*)::int as count
    from invoices i
    where i.org_id = any($1::text[]) and i.status = 'failed' and i.created_at >= $2 and i.created_at < $3
    group by 1, 2`,

  /** Deliveries not sent, created in the range: given up (failed) or still retrying. */
  deliveries: `
    select dl.channel, dl.status, count(*)::int as count,
      (array_agg(dl.last_error order by dl.updated_at desc) filter (where dl.last_error is not null))[1] as last_error,
      max(dl.updated_at) filter (where dl.last_error is not null) as last_error_at
    from deliveries dl
    join invoices i on i.id = dl.invoice_id
    where dl.status <> 'sent' and dl.status <> 'delivered' and dl.created_at >= $2 and dl.created_at < $3 and i.org_id = any($1::text[])
      and (dl.status = 'failed' or dl.attempts > 0)
    group by 1, 2 order by 1, 2`,
} as const;

export type StatsQueryName = keyof typeof STATS_QUERIES;
