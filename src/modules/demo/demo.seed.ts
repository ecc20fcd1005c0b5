import { and, desc, eq, gt } from "drizzle-orm";
import type { AppContext } from "../../context";
import { systemActor } from "../../context";
import { verifyPassword } from "../../platform/crypto";
import { devices, items, organizations, receiptCodes } from "../../platform/db/schema";
import { newId } from "../../platform/ids";
import { consumerUrl } from "../../platform/web";
import { findUserByUsername } from "../auth/auth.repository";
import { createCredentials, findDemoCredentials } from "../credentials/credentials.service";
import { hasAnyOrganization } from "../organizations/organizations.repository";
import { createOrganization } from "../organizations/organizations.service";
import { createReceiptCode } from "../receipt-codes/receipt-codes.service";
import { createUser } from "../users/users.service";
import { demoDevices, demoItems, demoLogin, demoOrganization } from "./demo.data";
import { DEMO_MERCHANT_PORT } from "./demo-merchant";

export interface DemoInfo {
  orgId: string;
  taxId: string;
  username: string;
  /** The demo password while it is unchanged; a changed one is never printed. */
  password: string;
  /** Whether `password` is the password (a secret: printed only to a terminal). */
  passwordUnchanged: boolean;
  consumerUrl: string;
  /** Whether this call created the demo organization. */
  created: boolean;
  /** The demo organization's open-API credentials (printed on every demo start; demo only). */
  appKey: string;
  appSecret: string;
}

const actor = systemActor("demo-seed");

/**
 * The demo: a hotel with two POS devices, its items, a 小票码配置 that splits above 10,000, a login
 * and a receipt code ready to scan. Idempotent: run again, it only makes sure an unused code exists.
 * `onlyIfEmpty` seeds a database that has no organization yet and otherwise leaves it alone.
 */
export async function seedDemo(
  ctx: Pick<AppContext, "database" | "config" | "keyring">,
  options: { onlyIfEmpty: boolean },
): Promise<DemoInfo | undefined> {
  const { db } = ctx.database;
  let [org] = await db.select().from(organizations).where(eq(organizations.taxId, demoOrganization.taxId));
  let created = false;
  if (!org) {
    if (options.onlyIfEmpty && (await hasAnyOrganization(db))) return undefined;
    org = await createOrganization(ctx, {
      actor,
      isDemo: true,
      input: {
        ...demoOrganization,
        limit: "10000.00",
        overLimitPolicy: "split",
        drawer: "王会计",
        validDays: 30,
        // Answered by `piaoma demo-merchant` (3.1.02 and webhooks) on this machine.
        orderQueryUrl: `http://127.0.0.1:${DEMO_MERCHANT_PORT}/order-query`,
        webhookUrl: `http://127.0.0.1:${DEMO_MERCHANT_PORT}/webhooks`,
      },
    });
    created = true;
  }
  // Each part is made only when missing, so an interrupted seed is completed by the next run.
  await db
    .insert(devices)
    .values(demoDevices.map((d) => ({ id: newId("dev"), orgId: org.id, ...d })))
    .onConflictDoNothing();
  await db
    .insert(items)
    .values(demoItems.map((i) => ({ id: newId("itm"), orgId: org.id, ...i })))
    .onConflictDoNothing();
  let user = await findUserByUsername(db, demoLogin.username);
  if (!user) {
    await createUser(ctx, { actor, input: { ...demoLogin, displayName: "演示管理员", orgIds: [org.id] } });
    user = await findUserByUsername(db, demoLogin.username);
  }
  let keys = await findDemoCredentials(ctx, org.id, org.isDemo);
  if (!keys) keys = await createCredentials(ctx, { actor, org: org.id, label: "演示" });
  const passwordUnchanged = user ? await verifyPassword(demoLogin.password, user.passwordHash) : false;
  return {
    orgId: org.id,
    taxId: org.taxId,
    username: demoLogin.username,
    password: passwordUnchanged ? demoLogin.password : "(已修改 changed)",
    passwordUnchanged,
    consumerUrl: consumerUrl(ctx, await ensureFreshDemoCode(ctx, org.id)),
    created,
    appKey: keys.appKey,
    appSecret: keys.appSecret,
  };
}

/** The newest demo code that can still be invoiced, or a new one: the printed URL always works. */
async function ensureFreshDemoCode(
  ctx: Pick<AppContext, "database" | "config">,
  orgId: string,
): Promise<string> {
  const { db } = ctx.database;
  const [usable] = await db
    .select({ token: receiptCodes.token })
    .from(receiptCodes)
    .where(
      and(
        eq(receiptCodes.orgId, orgId),
        eq(receiptCodes.status, "active"),
        gt(receiptCodes.expiresAt, new Date()),
      ),
    )
    .orderBy(desc(receiptCodes.createdAt))
    .limit(1);
  if (usable) return usable.token;
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const code = await createReceiptCode(ctx, {
    actor,
    orgId,
    source: "manual",
    input: {
      serialNo: `DEMO-${stamp}`,
      deviceNo: "POS-02",
      receiptFooter: "请于 30 天内扫码开具电子发票",
      lines: [
        { itemCode: "ROOM-STD", quantity: "2", unitPrice: "388.00", amount: "776.00" },
        { itemCode: "BREAKFAST", quantity: "2", unitPrice: "68.00", amount: "136.00", discount: "-36.00" },
        { itemCode: "DINNER", amount: "328.50" },
      ],
    },
  });
  return code.token;
}
