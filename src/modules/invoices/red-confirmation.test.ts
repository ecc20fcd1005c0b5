import { and, asc, eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { systemActor } from "../../context";
import {
  invoiceFiles,
  organizations,
  redConfirmations,
  sandboxRedConfirmations,
  taxBureauAccounts,
  webhookEvents,
} from "../../platform/db/schema";
import { Sweeper } from "../../platform/sweeper";
import { ISSUE_SWEEP, issueSweep } from "./issuing.sweep";
import { RED_CONFIRMATION_EXPIRY_SWEEP, redConfirmationExpirySweep } from "./red-confirmation";
import { decideSandboxConfirmation } from "./red-confirmation.sandbox";

/**
 * 红字确认单 through the whole app on one database: the sandbox without and with required
 * confirmation, confirmed / refused from the console, expired by the sweep on a clock of the
 * test's, the open API's and the console's views, and the invoice.red_confirmation webhooks.
 */
describeOneDatabase("红字确认单 (sandbox, open API, console, expiry sweep)", (kind) => {
  let app: TestApp;
  let org: { id: string };
  let keys: AppKeys;
  let operator: ConsoleClient;
  let viewer: ConsoleClient;

  beforeAll(async () => {
    // No background work: webhook events stay recorded (not sent), sweeps run by hand.
    app = await createTestApp(kind, { startJobs: false });
    org = await makeOrganization(app.ctx.database, { name: "深圳某某餐饮有限公司" });
    await app.ctx.database.db
      .update(organizations)
      .set({ webhookUrl: "https://merchant.example/hooks" })
      .where(eq(organizations.id, org.id));
    keys = await makeCredentials(app, org.id);
    const login = async (role: "operator" | "viewer") => {
      const u = await makeUser(app.ctx.database, { role, orgIds: [org.id] });
      return loginAs(app, u.username, u.password);
    };
    operator = await login("operator");
    viewer = await login("viewer");
  });
  afterAll(() => app?.close());

  const requireConfirmation = (on: boolean) =>
    app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings: on ? { redConfirmation: "required" } : {} })
      .where(eq(taxBureauAccounts.orgId, org.id));

  async function issuedBlue(): Promise<string> {
    const code = await makeReceiptCode(app.ctx, org.id);
    const res = await submitAsCompany(app, code.token);
    expect(res.json().status).toBe("issued");
    return res.json().invoices[0].id;
  }

  const reverse = (blueId: string) =>
    openRequest(app, keys, {
      method: "POST",
      url: `/open/v1/invoices/${blueId}/reverse`,
      body: { reason: "销货退回" },
    });
  const openGet = async (id: string) =>
    (await openRequest(app, keys, { method: "GET", url: `/open/v1/invoices/${id}` })).json();
  const detail = async (id: string) => (await operator.get(`/orgs/${org.id}/invoices/${id}`)).json();
  const decide = (client: ConsoleClient, id: string, decision: string) =>
    client.post(`/orgs/${org.id}/invoices/${id}/sandbox-confirmation`, { decision });

  /** The invoice.red_confirmation events of a red invoice, in order: the 确认单 state each carries. */
  async function confirmationHooks(redId: string) {
    const events = await app.ctx.database.db
      .select()
      .from(webhookEvents)
      .where(and(eq(webhookEvents.invoiceId, redId), eq(webhookEvents.type, "invoice.red_confirmation")))
      .orderBy(asc(webhookEvents.createdAt));
    return events.map((e) => e.data as { id: string; redConfirmation: { status: string; number: string } });
  }

  it("无需确认: the red invoice is issued at once from a numbered 确认单, printed in its files", async () => {
    await requireConfirmation(false);
    const blueId = await issuedBlue();
    const res = await reverse(blueId);
    expect(res.statusCode).toBe(201);
    const red = res.json();
    expect(red).toMatchObject({
      status: "issued",
      blueInvoiceId: blueId,
      redConfirmation: { status: "no_confirmation_needed", expiresAt: null },
    });
    // The seller's region (440300 from its 统一社会信用代码), yyMMdd, 8 digits of sequence.
    const number = red.redConfirmation.number as string;
    expect(number).toMatch(/^440300\d{14}$/);
    expect(red.redConfirmation.decidedAt).not.toBeNull();
    const [xml] = await app.ctx.database.db
      .select({ content: invoiceFiles.content })
      .from(invoiceFiles)
      .where(and(eq(invoiceFiles.invoiceId, red.id), eq(invoiceFiles.kind, "xml")));
    expect(xml?.content?.toString("utf8")).toContain(`红字发票信息确认单编号：${number}`);

    const [row] = await app.ctx.database.db
      .select()
      .from(redConfirmations)
      .where(eq(redConfirmations.redInvoiceId, red.id));
    expect(row).toMatchObject({
      blueInvoiceId: blueId,
      requestedBy: `app:${keys.appKey}`,
      reason: "销货退回",
      totalAmount: red.totals.totalAmount,
    });
    expect((await confirmationHooks(red.id)).map((d) => d.redConfirmation.status)).toEqual([
      "no_confirmation_needed",
    ]);
    // The blue invoice is reversed; its own redConfirmation is null (it is on the red one).
    expect(await openGet(blueId)).toMatchObject({ status: "reversed", redConfirmation: null });
  });

  it("待确认 → 已确认 from the console: the red invoice is issued then, the blue one reversed", async () => {
    await requireConfirmation(true);
    const blueId = await issuedBlue();
    const before = Date.now();
    const res = await reverse(blueId);
    expect(res.statusCode).toBe(201);
    const red = res.json();
    expect(red).toMatchObject({ status: "issuing", number: null, redConfirmation: { status: "pending" } });
    const expiresAt = Date.parse(red.redConfirmation.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 72 * 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 72 * 3600_000 + 1000);

    // The console: the list and the detail show the 确认单; the operator may decide, a viewer not.
    const list = (await operator.get(`/orgs/${org.id}/invoices?color=red`)).json();
    expect(list.items.find((i: { id: string }) => i.id === red.id)).toMatchObject({
      status: "confirmation_pending",
      redConfirmation: { status: "pending", number: red.redConfirmation.number },
    });
    expect(await detail(red.id)).toMatchObject({
      status: "confirmation_pending",
      redConfirmation: { status: "pending" },
      redConfirmationRequestedBy: `app:${keys.appKey}`,
      canDecideSandboxConfirmation: true,
      canRetry: false,
    });
    expect((await decide(viewer, red.id, "confirmed")).statusCode).toBe(403);
    expect((await decide(operator, red.id, "maybe")).statusCode).toBe(422);
    expect((await openGet(blueId)).status).toBe("issued");

    const confirmed = await decide(operator, red.id, "confirmed");
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({
      status: "issued",
      redConfirmation: { status: "confirmed", number: red.redConfirmation.number },
      canDecideSandboxConfirmation: false,
    });
    expect(await openGet(red.id)).toMatchObject({
      status: "issued",
      number: expect.stringMatching(/^\d{20}$/),
      redConfirmation: { status: "confirmed", expiresAt: red.redConfirmation.expiresAt },
    });
    expect((await openGet(blueId)).status).toBe("reversed");
    // Deciding again is refused: it is no longer pending.
    expect((await decide(operator, red.id, "refused")).statusCode).toBe(409);

    const hooks = await confirmationHooks(red.id);
    expect(hooks.map((d) => d.redConfirmation.status)).toEqual(["pending", "confirmed"]);
    expect(hooks[1]).toMatchObject({ id: red.id, status: "issued", blueInvoiceId: blueId });
    const reversed = await app.ctx.database.db
      .select()
      .from(webhookEvents)
      .where(and(eq(webhookEvents.invoiceId, blueId), eq(webhookEvents.type, "invoice.reversed")));
    expect(reversed).toHaveLength(1);
  });

  it("已拒绝: the red invoice fails, cannot be retried, and the blue one can be reversed again", async () => {
    await requireConfirmation(true);
    const blueId = await issuedBlue();
    const red = (await reverse(blueId)).json();
    const refused = (await decide(operator, red.id, "refused")).json();
    expect(refused).toMatchObject({
      status: "failed",
      failureCode: "RED_CONFIRMATION_REFUSED",
      redConfirmation: { status: "refused" },
      canRetry: false,
    });
    expect((await operator.post(`/orgs/${org.id}/invoices/${red.id}/retry`)).statusCode).toBe(409);
    expect((await confirmationHooks(red.id)).map((d) => d.redConfirmation.status)).toEqual([
      "pending",
      "refused",
    ]);
    const failed = await app.ctx.database.db
      .select()
      .from(webhookEvents)
      .where(and(eq(webhookEvents.invoiceId, red.id), eq(webhookEvents.type, "invoice.failed")));
    expect(failed).toHaveLength(1);

    expect(await detail(blueId)).toMatchObject({ status: "issued", canReverse: true });
    await requireConfirmation(false);
    const again = await reverse(blueId);
    expect(again.statusCode).toBe(201);
    expect(again.json().id).not.toBe(red.id);
    expect(again.json()).toMatchObject({
      status: "issued",
      redConfirmation: { status: "no_confirmation_needed" },
    });
    expect((await openGet(blueId)).red).toMatchObject({ id: again.json().id, status: "issued" });
  });

  it("by its number, as `piaoma sandbox:confirm` answers: the running server's issuing sweep issues the red invoice", async () => {
    await requireConfirmation(true);
    const blueId = await issuedBlue();
    const red = (await reverse(blueId)).json();
    const notFound = decideSandboxConfirmation(app.ctx, {
      actor: systemActor("cli:sandbox:confirm"),
      number: "00000000000000000000",
      decision: "confirmed",
      issuedByCaller: false,
    });
    await expect(notFound).rejects.toMatchObject({ code: "NOT_FOUND" });
    const moved = await decideSandboxConfirmation(app.ctx, {
      actor: systemActor("cli:sandbox:confirm"),
      number: red.redConfirmation.number,
      decision: "confirmed",
      issuedByCaller: false,
    });
    expect(moved).toMatchObject({ id: red.id, status: "pending" });
    const sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(issueSweep(app.ctx));
    expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(1);
    expect(await openGet(red.id)).toMatchObject({
      status: "issued",
      redConfirmation: { status: "confirmed" },
    });
    expect((await openGet(blueId)).status).toBe("reversed");
  });

  it("已过期: the sweep expires a 确认单 pending 72 hours (on its clock), the blue one is reversible again", async () => {
    await requireConfirmation(true);
    const blueId = await issuedBlue();
    const red = (await reverse(blueId)).json();
    const deadline = Date.parse(red.redConfirmation.expiresAt);

    let clock = new Date(deadline - 60_000);
    const sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(redConfirmationExpirySweep(app.ctx, () => clock));
    expect(await sweeper.sweepOnce(RED_CONFIRMATION_EXPIRY_SWEEP)).toBe(0);
    expect((await openGet(red.id)).redConfirmation.status).toBe("pending");

    clock = new Date(deadline + 1000);
    expect(await sweeper.sweepOnce(RED_CONFIRMATION_EXPIRY_SWEEP)).toBe(1);
    expect(await sweeper.sweepOnce(RED_CONFIRMATION_EXPIRY_SWEEP)).toBe(0);
    expect(await detail(red.id)).toMatchObject({
      status: "failed",
      failureCode: "RED_CONFIRMATION_EXPIRED",
      redConfirmation: { status: "expired", decidedAt: clock.toISOString() },
      canDecideSandboxConfirmation: false,
    });
    const hooks = await confirmationHooks(red.id);
    expect(hooks.map((d) => d.redConfirmation.status)).toEqual(["pending", "expired"]);
    expect(hooks[1]).toMatchObject({ status: "failed", failure: { code: "RED_CONFIRMATION_EXPIRED" } });
    // Too late for the buyer: the console refuses, the sandbox bureau's 确认单 stays undecided.
    expect((await decide(operator, red.id, "confirmed")).statusCode).toBe(409);
    const [bill] = await app.ctx.database.db
      .select()
      .from(sandboxRedConfirmations)
      .where(eq(sandboxRedConfirmations.number, red.redConfirmation.number));
    expect(bill?.status).toBe("pending");

    expect((await openGet(blueId)).status).toBe("issued");
    const again = await reverse(blueId);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ status: "issuing", redConfirmation: { status: "pending" } });
  });
});
