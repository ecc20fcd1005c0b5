import { and, asc, desc, eq, gte, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { chinaDayStart } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { deliveries, invoices, organizations } from "../../platform/db/schema";
import type { Contact } from "./my-login.service";

/**
 * What a 我的发票 session may see, as SQL: an invoice delivered to its contact (a `deliveries` row
 * on the same channel whose recipient is the contact — never the buyer's name or what was typed
 * elsewhere), or a red invoice of such a blue one; only of organizations that list their invoices.
 * Every route of the module reads invoices through `visible`, so none can reach another's.
 */
export function deliveredTo(who: Contact) {
  return sql`select ${deliveries.invoiceId} from ${deliveries} where lower(${deliveries.recipient}) = ${who.contact} and ${deliveries.channel} = ${who.channel}`;
}

export function visible(who: Contact): SQL {
  const mine = deliveredTo(who);
  return and(
    eq(organizations.myInvoicesListed, true),
    or(sql`${invoices.id} in (${mine})`, sql`${invoices.blueInvoiceId} in (${mine})`),
  ) as SQL;
}

/** The first instant of a China month and of the next one: `2026-03` → [03-01 00:00+08, 04-01 00:00+08). */
export function monthRange(month: string): [Date, Date] {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
  return [chinaDayStart(`${month}-01`), chinaDayStart(`${next}-01`)];
}

const blue = alias(invoices, "blue");

/**
 * One page of the list: newest first by the blue invoice's date, each red invoice right after its
 * blue one; with the total for paging.
 */
export async function findMyInvoices(
  db: DbOrTx,
  who: Contact,
  filter: { seller?: string; month?: string; offset: number; limit: number },
) {
  const at = sql`coalesce(${invoices.issuedAt}, ${invoices.createdAt})`;
  const conditions: SQL[] = [visible(who)];
  if (filter.seller) conditions.push(eq(invoices.orgId, filter.seller));
  if (filter.month) {
    const [from, to] = monthRange(filter.month);
    conditions.push(gte(at, from), lt(at, to));
  }
  const groupAt = sql`coalesce(${blue.issuedAt}, ${blue.createdAt}, ${invoices.issuedAt}, ${invoices.createdAt})`;
  return db
    .select({
      id: invoices.id,
      orgId: invoices.orgId,
      sellerName: organizations.name,
      number: invoices.number,
      invoiceType: invoices.invoiceType,
      color: invoices.color,
      status: invoices.status,
      issuedAt: invoices.issuedAt,
      totalAmount: invoices.totalAmount,
      blueInvoiceId: invoices.blueInvoiceId,
      total: sql<number>`(count(*) over ())::int`,
    })
    .from(invoices)
    .innerJoin(organizations, eq(organizations.id, invoices.orgId))
    .leftJoin(blue, eq(blue.id, invoices.blueInvoiceId))
    .where(and(...conditions))
    .orderBy(
      desc(groupAt),
      desc(sql`coalesce(${invoices.blueInvoiceId}, ${invoices.id})`),
      asc(sql`${invoices.color} = 'red'`),
      asc(invoices.createdAt),
    )
    .offset(filter.offset)
    .limit(filter.limit);
}

/** The organizations of the contact's invoices (the seller filter), by name. */
export async function findMySellers(db: DbOrTx, who: Contact) {
  return db
    .selectDistinct({ id: organizations.id, name: organizations.name })
    .from(invoices)
    .innerJoin(organizations, eq(organizations.id, invoices.orgId))
    .where(visible(who))
    .orderBy(asc(organizations.name), asc(organizations.id));
}

/** Invoices among `ids` the contact may see, with their seller. */
export async function findVisibleInvoices(db: DbOrTx, who: Contact, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({ invoice: invoices, sellerName: organizations.name, sellerPhone: organizations.phone })
    .from(invoices)
    .innerJoin(organizations, eq(organizations.id, invoices.orgId))
    .where(and(visible(who), inArray(invoices.id, ids)));
}

/** A blue invoice and its red invoices (ids only), in the order they came. */
export async function findGroupIds(db: DbOrTx, blueId: string): Promise<string[]> {
  const rows = await db
    .select({ id: invoices.id })
    .from(invoices)
    .where(or(eq(invoices.id, blueId), eq(invoices.blueInvoiceId, blueId)))
    .orderBy(asc(sql`${invoices.color} = 'red'`), asc(invoices.createdAt));
  return rows.map((r) => r.id);
}

/** Resends of one invoice in the last hour (its per-invoice ceiling), counted in deliveries. */
export async function recentResends(db: DbOrTx, invoiceIds: string[], since: Date): Promise<Date[]> {
  if (invoiceIds.length === 0) return [];
  const rows = await db
    .select({ createdAt: deliveries.createdAt })
    .from(deliveries)
    .where(
      and(
        inArray(deliveries.invoiceId, invoiceIds),
        eq(deliveries.reason, "resend"),
        gte(deliveries.createdAt, since),
      ),
    )
    .orderBy(desc(deliveries.createdAt));
  return rows.map((r) => r.createdAt);
}
