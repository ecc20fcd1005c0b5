import { eq, sql } from "drizzle-orm";
import { sha256Hex } from "../../platform/crypto";
import { invoiceFiles, invoices, taxBureauAccounts } from "../../platform/db/schema";
import { claimDue, type SweepDefinition } from "../../platform/sweeper";
import { discardUnrecorded } from "../files/file-store";
import type { ChannelFile } from "./channels/channel";
import { CHANNEL_FILE_TYPES, fetchChannelFile } from "./channels/channel-files";
import { findInvoice } from "./invoices.repository";
import type { IssuingContext } from "./issuing.attempt";

/** The sweep that fetches the channel's files an issued invoice could not get at once. */
export const CHANNEL_FILES_SWEEP = "invoice-channel-files";

/**
 * An issued invoice whose channel files (PDF / OFD / XML) could not be fetched when it was saved
 * keeps them in `channel_data.pendingFiles`, due at `next_attempt_at`; this sweep fetches them under
 * the same guards, stores each as the invoice's legal file as it comes (downloads then serve it
 * instead of the preview), and stops once none is left. The invoice stays issued whatever happens.
 */
export function channelFilesSweep(ctx: IssuingContext): SweepDefinition {
  return {
    name: CHANNEL_FILES_SWEEP,
    concurrency: 2,
    intervalSeconds: ctx.config.tuning.jobPollSeconds,
    claim: claimDue(ctx.database, {
      table: "invoices",
      unfinished: "channel_data ? 'pendingFiles'",
      leaseSeconds: () => Math.max(60, ctx.config.tuning.issueRetrySeconds),
    }),
    handle: async (id) => {
      await fetchPendingFiles(ctx, id);
    },
  };
}

/** Fetches what is still pending of an invoice's channel files; returns how many are left. */
export async function fetchPendingFiles(ctx: IssuingContext, invoiceId: string): Promise<number> {
  const { db } = ctx.database;
  const invoice = await findInvoice(db, invoiceId);
  const pending = (
    (invoice?.channelData as { pendingFiles?: ChannelFile[] } | null)?.pendingFiles ?? []
  ).filter(
    (f) => f && (f.kind === "pdf" || f.kind === "ofd" || f.kind === "xml") && typeof f.url === "string",
  );
  if (!invoice?.number || pending.length === 0) {
    if (invoice) await setPending(ctx, invoiceId, []);
    return 0;
  }
  const [account] = await db
    .select()
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, invoice.taxAccountId ?? ""));
  const channel = account && ctx.providers.channels.get(account.channel);
  const allowedHosts =
    (account && channel?.fileHosts?.((account.settings ?? {}) as Record<string, unknown>)) || [];
  const left: ChannelFile[] = [];
  for (const file of pending) {
    let bytes: Buffer;
    try {
      bytes = await fetchChannelFile(file, { allowedHosts, allowPrivate: ctx.config.allowPrivateUrls });
    } catch (e) {
      ctx.log.warn({ invoiceId, kind: file.kind, err: e }, "channel file still not fetched");
      left.push(file);
      continue;
    }
    const placement = await ctx.providers.files.put(
      `invoices/${invoice.orgId}/${invoice.number}.${file.kind}`,
      bytes,
    );
    try {
      await db
        .insert(invoiceFiles)
        .values({
          invoiceId,
          kind: file.kind,
          contentType: CHANNEL_FILE_TYPES[file.kind],
          size: bytes.length,
          sha256: sha256Hex(bytes),
          ...placement,
        })
        .onConflictDoNothing();
    } catch (e) {
      await discardUnrecorded(ctx, [placement]);
      throw e;
    }
    await discardUnrecorded(ctx, [placement]);
  }
  await setPending(ctx, invoiceId, left);
  return left.length;
}

async function setPending(ctx: IssuingContext, invoiceId: string, left: ChannelFile[]): Promise<void> {
  await ctx.database.db
    .update(invoices)
    .set(
      left.length > 0
        ? { channelData: sql`${invoices.channelData} || ${JSON.stringify({ pendingFiles: left })}::jsonb` }
        : { channelData: sql`${invoices.channelData} - 'pendingFiles'`, nextAttemptAt: null },
    )
    .where(eq(invoices.id, invoiceId));
}
