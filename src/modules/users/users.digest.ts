import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Actor, AppContext } from "../../context";
import { users } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { oneLine } from "../../platform/input";
import { parseInput } from "../../platform/validation";

/**
 * A console user's own daily-digest setting (我的设置 · 每日摘要): the e-mail address it goes to and
 * whether the user wants it (opt-out: on by default once there is an address). The digest goes to
 * the admins of each organization (modules/digest).
 */
export const digestSettingsInput = z.object({
  email: oneLine()
    .max(254, "邮箱不能超过 254 个字符")
    .refine((v) => v === "" || z.email().safeParse(v).success, "请输入正确的邮箱地址")
    .default(""),
  dailyDigest: z.boolean({ error: "请选择是否接收每日摘要" }),
});

export const digestSettingsOutput = z.object({ email: z.string(), dailyDigest: z.boolean() });

function userIdOf(actor: Actor): string {
  if (actor.type !== "user") throw new AppError("FORBIDDEN");
  return actor.userId;
}

export async function getDigestSettings(ctx: Pick<AppContext, "database">, options: { actor: Actor }) {
  const [row] = await ctx.database.db
    .select({ email: users.email, dailyDigest: users.dailyDigest })
    .from(users)
    .where(eq(users.id, userIdOf(options.actor)));
  if (!row) throw AppError.notFound();
  return { email: row.email ?? "", dailyDigest: row.dailyDigest };
}

export async function updateDigestSettings(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; input: unknown },
) {
  const input = parseInput(digestSettingsInput, options.input);
  await ctx.database.db
    .update(users)
    .set({ email: input.email || null, dailyDigest: input.dailyDigest, updatedAt: new Date() })
    .where(eq(users.id, userIdOf(options.actor)));
  return getDigestSettings(ctx, options);
}

/** The unsubscribe link of a digest e-mail: the user stops receiving it. False if no such user. */
export async function stopDailyDigest(ctx: Pick<AppContext, "database">, userId: string): Promise<boolean> {
  const rows = await ctx.database.db
    .update(users)
    .set({ dailyDigest: false, updatedAt: new Date() })
    .where(eq(users.id, userId))
    .returning({ id: users.id });
  return rows.length > 0;
}
