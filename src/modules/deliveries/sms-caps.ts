import { sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { chinaDateIso } from "../../domain";
import type { Tx } from "../../platform/db/client";

/**
 * The caps on invoice SMS, held by the database so that any number of processes together stay under
 * them: per number per China day (`PIAOMA_SMS_CAP_PER_NUMBER_DAY`) and per receipt code for ever
 * (`PIAOMA_SMS_CAP_PER_CODE`, first send and resends). A delivery is charged once, in one
 * transaction: its `quota_charged` flag goes up only if it was down, then each counter is raised
 * by an upsert whose update applies only below the cap (the row lock makes concurrent charges
 * wait, then see the new count); a counter at its cap rolls everything back.
 */
export type SmsCharge = { ok: true } | { ok: false; cap: "number" | "code"; limit: number };

class OverCap extends Error {
  constructor(
    readonly cap: "number" | "code",
    readonly limit: number,
  ) {
    super(`SMS cap per ${cap} reached`);
  }
}

export async function chargeSmsQuota(
  ctx: Pick<AppContext, "database" | "config">,
  options: { deliveryId: string; mobile: string; receiptCodeId: string; now?: Date },
): Promise<SmsCharge> {
  const { perNumberPerDay, perCode } = ctx.config.sms.caps;
  const day = chinaDateIso(options.now ?? new Date());
  try {
    await ctx.database.db.transaction(async (tx) => {
      const charged = await rows(
        tx,
        sql`update deliveries set quota_charged = true where id = ${options.deliveryId} and not quota_charged returning id`,
      );
      if (charged.length === 0) return; // charged by an earlier attempt
      if (!(await raise(tx, `mobile:${options.mobile}`, day, perNumberPerDay)))
        throw new OverCap("number", perNumberPerDay);
      if (!(await raise(tx, `code:${options.receiptCodeId}`, "all", perCode)))
        throw new OverCap("code", perCode);
    });
    return { ok: true };
  } catch (e) {
    if (e instanceof OverCap) return { ok: false, cap: e.cap, limit: e.limit };
    throw e;
  }
}

async function raise(tx: Tx, key: string, period: string, cap: number): Promise<boolean> {
  const raised = await rows(
    tx,
    sql`insert into sms_quota (key, period, count) values (${key}, ${period}, 1)
        on conflict (key, period) do update set count = sms_quota.count + 1, updated_at = now()
        where sms_quota.count < ${cap}
        returning count`,
  );
  return raised.length === 1;
}

async function rows(tx: Tx, query: ReturnType<typeof sql>): Promise<unknown[]> {
  return ((await tx.execute(query)) as unknown as { rows: unknown[] }).rows;
}
