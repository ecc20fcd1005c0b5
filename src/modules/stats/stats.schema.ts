import { z } from "zod";
import { isoDay, recordId } from "../../platform/input";

const day = isoDay();

export const statsQuery = z.object({
  /** One organization; absent: every organization the user may see. */
  orgId: recordId().optional(),
  /** China days, both inclusive; default the last 30 days up to today. */
  from: day.optional(),
  to: day.optional(),
});
export type StatsQuery = z.infer<typeof statsQuery>;

const slice = z.object({ key: z.string(), invoices: z.number(), amount: z.string() });

export const statsResponse = z.object({
  from: z.string(),
  to: z.string(),
  orgIds: z.array(z.string()),
  summary: z.object({
    invoices: z.number(),
    amount: z.string(),
    redInvoices: z.number(),
    redAmount: z.string(),
    /** 价税合计 of blue and red together. */
    netAmount: z.string(),
  }),
  daily: z.array(
    z.object({
      day: z.string(),
      invoices: z.number(),
      amount: z.string(),
      redInvoices: z.number(),
      redAmount: z.string(),
      /** 价税合计 of the day's blue and red invoices together (red ones are negative). */
      netAmount: z.string(),
    }),
  ),
  byInvoiceType: z.array(slice),
  byBuyerType: z.array(slice),
  byDevice: z.array(slice),
  bySource: z.array(slice),
  funnel: z.object({
    codes: z.number(),
    scanned: z.number(),
    scans: z.number(),
    submitted: z.number(),
    invoiced: z.number(),
  }),
  /** Seconds from receipt-code creation to issue; null when nothing was issued. */
  leadTime: z.object({ median: z.number().nullable(), p90: z.number().nullable() }),
  failures: z.object({
    total: z.number(),
    reasons: z.array(z.object({ code: z.string(), reason: z.string(), count: z.number() })),
  }),
  deliveries: z.object({
    failed: z.number(),
    retrying: z.number(),
    byChannel: z.array(
      z.object({
        channel: z.string(),
        status: z.string(),
        count: z.number(),
        lastError: z.string().nullable(),
      }),
    ),
  }),
  /** How long each query took, in milliseconds (also sent as Server-Timing). */
  timings: z.record(z.string(), z.number()),
});
export type StatsResponse = z.infer<typeof statsResponse>;
