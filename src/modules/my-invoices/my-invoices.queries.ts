import { and, asc, desc, eq, gte, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { chinaDayStart } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { deliveries, invoiceFiles, invoices, organizations } from "../../platform/db/schema";
import { UNISSUED_SQL_LIST } from "../invoices/invoice-status";
import type { Contact } from "./my-login.service";

/**
 * What a 我的发票 session may see, as SQL: an invoice delivered to its contact (a `deliveries` row
 * on the same channel whose recipient is the contact — never the buyer's name), a red invoice of
 * such a blue one, or an invoice without a number yet or ever (issuing, held for 审核开票, failed)
 * whose submit recorded the contact — the address its deliveries will go to once it is issued,
 * compared as deliveries are (the e-mail in lower case, the number as normalized at the submit);
 * only of organizations that list their invoices. Every route of the module reads invoices through
 * `visible`, so none can reach another's.
 */
export function deliveredTo(who: Contact) {
  return sql`select ${deliveries.invoiceId} from ${deliveries} where lower(${deliveries.recipient}) = ${who.contact} and ${deliveries.channel} = ${who.channel}`;
}

/** A column of `invoices` under an alias of the subqueries below (the outer query has `invoices`). */
const column = (as: string, c: { name: string }) => sql`${sql.identifier(as)}.${sql.identifier(c.name)}`;

/** The ids a contact may see (before the organization's choice): one indexed lookup each. */
function mineIds(who: Contact): SQL {
  const delivered = deliveredTo(who);
  const recorded =
    who.channel === "sms"
      ? sql`${column("u", invoices.mobile)} = ${who.contact}`
      : sql`lower(${column("u", invoices.email)}) = ${who.contact}`;
  // The statuses as literals: the partial indexes invoices_unissued_{email,mobile}_idx serve it.
  const noNumber = sql`${column("u", invoices.status)} in (${sql.raw(UNISSUED_SQL_LIST)})`;
  return sql`${delivered}
    union all select ${column("r", invoices.id)} from ${invoices} as "r" where ${column("r", invoices.blueInvoiceId)} in (${delivered})
    union all select ${column("u", invoices.id)} from ${invoices} as "u" where ${recorded} and ${noNumber}`;
}

export function visible(who: Contact): SQL {
  // One `id in (…)` over the three lookups (a semi-join by the primary key), not an `or` of
  // subqueries, which PostgreSQL can only test row by row over the whole invoices table.
  return and(eq(organizations.myInvoicesListed, true), sql`${invoices.id} in (${mineIds(who)})`) as SQL;
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
  return myInvoicesQuery(db, who, filter);
}

/** The statement of `findMyInvoices`, unrun (its plan is checked: my-invoices.unissued.test.ts). */
export function myInvoicesQuery(
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
      consumerMessage: sql<string | null>`${invoices.channelData} ->> 'consumerMessage'`,
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

/** The invoices among `ids` whose channel sent an OFD (offered beside the PDF and XML). */
export async function findWithOfd(db: DbOrTx, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ invoiceId: invoiceFiles.invoiceId })
    .from(invoiceFiles)
    .where(and(inArray(invoiceFiles.invoiceId, ids), eq(invoiceFiles.kind, "ofd")));
  return new Set(rows.map((r) => r.invoiceId));
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
