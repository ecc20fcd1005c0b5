/**
 * A red invoice whose 确认单 the channel cannot find at the moment is never applied for again: the
 * red-confirmation poll only asks, and an attempt for a red whose 确认单 the channel numbered treats
 * "not found" as not yet found. (The found paths — confirmed later, refused — are §7.6 scenario 8
 * of test/support/channel-scenarios.ts, through both stand-ins.)
 */
import { eq } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { systemActor } from "../../context";
import { invoices, taxBureauAccounts } from "../../platform/db/schema";
import type { ChannelAdapter } from "./channels/channel";
import { createSandboxChannel } from "./channels/sandbox";
import { findInvoice } from "./invoices.repository";
import { issueInvoice, pollRedConfirmation } from "./issuing.attempt";
import { findRedConfirmationOf } from "./red-confirmation.queries";
import { reverseInvoice } from "./reversal.service";

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

it("a red invoice waiting for its 确认单 that the channel does not find is asked again later, never applied for again", async () => {
  // The sandbox, counted, standing in for a channel whose forms are polled and that has lost sight
  // of this one for now.
  const calls: string[] = [];
  let inner: ChannelAdapter | undefined;
  let lost = false;
  const channel: ChannelAdapter = {
    id: "sandbox",
    get pollsRedConfirmation() {
      return lost;
    },
    issue: (request) => {
      calls.push(`issue ${request.color}`);
      return inner!.issue(request);
    },
    query: async (serial, settings, options) => {
      calls.push(`query ${options?.color ?? "blue"}${options?.redConfirmationNumber ? " +number" : ""}`);
      return lost ? null : inner!.query(serial, settings, options);
    },
  };
  app = await createTestApp("pglite", {
    startJobs: false,
    providers: { channels: new Map([["sandbox", channel]]) },
  });
  inner = createSandboxChannel(app.ctx.database);
  const org = await makeOrganization(app.ctx.database);
  await app.ctx.database.db
    .update(taxBureauAccounts)
    .set({ settings: { redConfirmation: "required" } })
    .where(eq(taxBureauAccounts.orgId, org.id));
  const code = await makeReceiptCode(app.ctx, org.id);
  const blue = (await submitAsCompany(app, code.token)).json().invoices[0];
  expect(blue.status).toBe("issued");
  const { red } = await reverseInvoice(app.ctx, {
    actor: systemActor("test"),
    invoiceId: blue.id,
    reason: "销货退回",
  });
  expect((await findInvoice(app.ctx.database.db, red.id))?.status).toBe("confirmation_pending");
  const confirmation = await findRedConfirmationOf(app.ctx.database.db, red.id);
  expect(confirmation).toMatchObject({ status: "pending", number: expect.any(String) });

  lost = true;
  calls.length = 0;
  // The poll asks (by serial and by the 确认单 number) and leaves the invoice waiting.
  expect(await pollRedConfirmation(app.ctx, red.id)).toBe("confirmation_pending");
  expect(calls).toEqual(["query red +number"]);
  // An attempt at it (as after a restart mid-attempt): not found is not yet found — no new 确认单.
  await app.ctx.database.db
    .update(invoices)
    .set({ status: "issuing", attempts: 2 })
    .where(eq(invoices.id, red.id));
  expect(await issueInvoice(app.ctx, red.id)).toBe("issuing");
  expect(calls).toEqual(["query red +number", "query red +number"]);
  expect(await findRedConfirmationOf(app.ctx.database.db, red.id)).toMatchObject({
    status: "pending",
    number: confirmation!.number,
  });
});
