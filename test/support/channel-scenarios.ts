/**
 * The tests every issuing channel passes against its stand-in (CHANNELS.md §7.6), through the real
 * issuing path: a consumer's submit, the issuing sweep, the channel callbacks. One list, run by each
 * adapter's `*.issuing.test.ts` with a harness that speaks to its stand-in; each scenario gets one
 * fresh database, on PGlite and (when TEST_DATABASE_URL is set) on PostgreSQL.
 */
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/config";
import { systemActor } from "../../src/context";
import { ChannelUnavailableError } from "../../src/modules/invoices/channels/channel";
import { prepareSettings } from "../../src/modules/invoices/channels/channel-registry";
import { findInvoiceLines } from "../../src/modules/invoices/invoices.repository";
import { issueRequestOf } from "../../src/modules/invoices/issuing.attempt";
import { ensurePreviewFile } from "../../src/modules/invoices/issuing.preview";
import {
  ISSUE_SWEEP,
  issueSweep,
  RED_CONFIRMATION_POLL_SWEEP,
  redConfirmationPollSweep,
} from "../../src/modules/invoices/issuing.sweep";
import {
  findRedConfirmationOf,
  type RedConfirmationRow,
} from "../../src/modules/invoices/red-confirmation.queries";
import { reversibleViewOf } from "../../src/modules/invoices/reversal.partial";
import { reverseInvoice } from "../../src/modules/invoices/reversal.service";
import { findOrganizationByIdOrTaxId } from "../../src/modules/organizations/organizations.repository";
import { checkTaxAccount } from "../../src/modules/tax-accounts/tax-accounts.sweep";
import { invoices, taxBureauAccounts } from "../../src/platform/db/schema";
import { Sweeper } from "../../src/platform/sweeper";
import { createTestApp, type TestApp } from "./app";
import type { DatabaseKind } from "./db";
import { makeOrganization, makeReceiptCode, makeUscc } from "./factories";

/** What a scenario asks of a channel's stand-in. */
export interface StandinHarness {
  channel: "nuonuo" | "kingdee";
  start(): Promise<void>;
  close(): Promise<void>;
  /** The tax-account settings (as typed by a merchant) pointing at the stand-in. */
  settings(): Record<string, unknown>;
  /** Moves the stand-in's clock. */
  advance(ms: number): Promise<void>;
  /** How long accepted invoices stay 开票中 (stand-in time); the harness starts at 20 s. */
  pendingFor(ms: number): Promise<void>;
  /** The channel's order number for our serial (诺诺 ≤ 20 characters; 金蝶 the serial itself). */
  keyOf(serial: string): string;
  /** The invoices the stand-in accepted, by order number, with the number once issued. */
  accepted(): Promise<Array<{ key: string; number: string | null }>>;
  /** Back to normal: no failure, seal failure or session problem for the invoices that follow. */
  normal(): Promise<void>;
  /** The next accepted invoice fails at the bureau with this reason. */
  failNext(reason: string): Promise<void>;
  /** The next business call is carried out and its answer lost. */
  dropNextAnswer(): Promise<void>;
  /** The next business call answers HTTP 502 without doing anything. */
  http5xxNext(): Promise<void>;
  /** The 数电 session is logged out (true) or back (false). */
  loggedOut(on: boolean): Promise<void>;
  /** The next accepted invoice's seal fails first. */
  sealFailNext(): Promise<void>;
  /** Every token the stand-in gave out expires now. */
  expireTokens(): Promise<void>;
  /** How many tokens the adapter obtained (诺诺 client_credentials calls, 金蝶 logins). */
  tokenFetches(): Promise<number>;
  /** The channel's real callback for an invoice that finished, sent `times` times; the replies. */
  callback(serial: string, url: string, times?: number): Promise<unknown[]>;
  /** A forged callback claiming the invoice issued under a made-up number; the reply. */
  forgeCallback(serial: string, url: string): Promise<unknown>;
  /** What the stand-in serves as the legal PDF of the invoice with this number. */
  legalPdf(number: string): string;
  /** The acknowledgement the channel expects from the receiver. */
  acknowledgement: Record<string, unknown>;
  /** Where the channel's callbacks go on our side. */
  callbackPath: string;
  /**
   * Whether the buyer has booked the blue invoice with this serial (入账): its red invoice then
   * needs the buyer's 红字确认单 (诺诺: for every red applied for from now on).
   */
  booked(blueSerial: string, on: boolean): Promise<void>;
  /** The buyer answers the 红字确认单 of the red invoice with this serial at the bureau. */
  answerRed(redSerial: string, agree: boolean): Promise<void>;
  /** How many 红字确认单 (red requests) the channel holds. */
  redApplications(): Promise<number>;
  /** Every business call is throttled (true) or not (false). */
  rateLimited(on: boolean): Promise<void>;
  /** Business calls the stand-in received so far (token calls not counted). */
  businessCalls(): Promise<number>;
  /** Whether the channel issues 部分红冲 (red invoices of chosen lines); the others refuse it, uncalled. */
  partialRed: boolean;
  /**
   * A 红字确认单 for the whole of one blue line (numbered as printed) applied for outside Piaoma, at
   * the channel's own workbench: the channel counts it against the blue invoice; Piaoma knows nothing.
   * For channels with partialRed.
   */
  reverseLineOutside?(blueNumber: string, lineNo: number): Promise<void>;
  /** The protocol's published vectors as the adapter's own signer / codec computes them. */
  signingVectors(): Array<{ name: string; expected: string; actual: string }>;
}

/** How long the stand-ins keep an invoice 开票中: beyond the submit's own waits (3 s + 5 s). */
const PENDING_MS = 20_000;

/** Runs §7.6 against `harness`. */
export function describeChannelScenarios(name: string, makeHarness: () => StandinHarness): void {
  const postgres = Boolean(process.env.TEST_DATABASE_URL);
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  interface World {
    app: TestApp;
    standin: StandinHarness;
    orgId: string;
    orgTaxId: string;
    submit(): Promise<{ id: string; serial: string; status: string; token: string }>;
    invoice(id: string): Promise<typeof invoices.$inferSelect>;
    sweep(): Promise<number>;
    /** One pass of the red-confirmation poll over every red invoice waiting, due now. */
    pollRed(): Promise<number>;
    /** A blue invoice submitted and issued (through the sweep). */
    issuedBlue(): Promise<{ id: string; serial: string; token: string }>;
    /**
     * 红冲 of a blue invoice (as the console or the open API asks): whole, or the part `lines` /
     * `amount` name (部分红冲); the red invoice after.
     */
    reverse(
      blueId: string,
      part?: { lines?: unknown; amount?: unknown; reason?: string },
    ): Promise<typeof invoices.$inferSelect>;
    /** Our 红字确认单 of a red invoice. */
    confirmation(redId: string): Promise<RedConfirmationRow | undefined>;
    /** The submitting process's waits between re-queries (they move the stand-in's clock instead). */
    waited: Array<{ ms: number; checkedOut: number | null }>;
    close(): Promise<void>;
  }

  async function open(kind: DatabaseKind, tuning: Partial<Config["tuning"]> = {}): Promise<World> {
    const standin = makeHarness();
    await standin.start();
    await standin.pendingFor(PENDING_MS);
    const waited: World["waited"] = [];
    const app: TestApp = await createTestApp(kind, {
      startJobs: false,
      tuning,
      env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" },
      providers: {
        sleep: async (ms) => {
          const database = app.ctx.database;
          const checkedOut =
            database.kind === "postgres" ? database.pool.totalCount - database.pool.idleCount : null;
          waited.push({ ms, checkedOut });
          await standin.advance(ms);
        },
      },
    });
    const org = await makeOrganization(app.ctx.database);
    const settings = prepareSettings(standin.channel, standin.settings(), {
      keyring: app.ctx.keyring,
      allowPrivateUrls: true,
    });
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ channel: standin.channel, settings })
      .where(eq(taxBureauAccounts.orgId, org.id));
    const sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(issueSweep(app.ctx));
    sweeper.define(redConfirmationPollSweep(app.ctx));
    const w: World = {
      app,
      standin,
      waited,
      orgId: org.id,
      orgTaxId: org.taxId,
      async submit() {
        const code = await makeReceiptCode(app.ctx, org.id);
        const res = await app.http.inject({
          method: "POST",
          url: `/api/scan/${code.token}/submit`,
          headers: { "content-type": "application/json" },
          payload: {
            invoiceType: "digital_normal",
            buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
            email: "buyer@example.com",
          },
        });
        expect(res.statusCode, res.body).toBeLessThan(300);
        // What the submit answered; then the attempt it left running in the background ends.
        const answered = (res.json() as { invoices: Array<{ status: string }> }).invoices[0]!.status;
        await app.ctx.background.settled();
        const [row] = await app.ctx.database.db
          .select()
          .from(invoices)
          .where(eq(invoices.receiptCodeId, code.id));
        return { id: row!.id, serial: row!.serial, status: answered, token: code.token };
      },
      async invoice(id) {
        const [row] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, id));
        return row!;
      },
      /** One pass of the issuing sweep over every unfinished invoice, due now. */
      async sweep() {
        await app.ctx.database.db
          .update(invoices)
          .set({ nextAttemptAt: sql`now() - interval '1 second'` })
          .where(sql`${invoices.status} in ('pending', 'issuing')`);
        return sweeper.sweepOnce(ISSUE_SWEEP);
      },
      async pollRed() {
        await app.ctx.database.db
          .update(invoices)
          .set({ nextAttemptAt: sql`now() - interval '1 second'` })
          .where(eq(invoices.status, "confirmation_pending"));
        return sweeper.sweepOnce(RED_CONFIRMATION_POLL_SWEEP);
      },
      async issuedBlue() {
        const submitted = await w.submit();
        await standin.advance(PENDING_MS);
        await w.sweep();
        expect(await w.invoice(submitted.id)).toMatchObject({ status: "issued" });
        return submitted;
      },
      async reverse(blueId, part = {}) {
        const { red } = await reverseInvoice(app.ctx, {
          actor: systemActor("scenario"),
          invoiceId: blueId,
          reason: part.reason ?? "销货退回",
          ...(part.lines !== undefined ? { lines: part.lines } : {}),
          ...(part.amount !== undefined ? { amount: part.amount } : {}),
        });
        return w.invoice(red.id);
      },
      confirmation: (redId) => findRedConfirmationOf(app.ctx.database.db, redId),
      async close() {
        await app.close();
        await standin.close();
      },
    };
    return w;
  }

  // Every scenario on PGlite, and on PostgreSQL too when it is there (CI): the same rules must hold
  // on both. The PostgreSQL run is where "at once" is really at once and a held connection shows.
  const kinds: DatabaseKind[] = postgres ? ["pglite", "postgres"] : ["pglite"];
  for (const kind of kinds) scenariosOn(kind);

  function scenariosOn(kind: DatabaseKind): void {
    describe(`${name}: the tests every channel passes (CHANNELS.md §7.6) [${kind}]`, () => {
      it(`1a. 开票中 for 2 s: the submit answers issuing as soon as the channel accepted (no wait for the re-query); the process asks again after 3 s with no connection held → issued without the sweep [${kind}]`, async () => {
        world = await open(kind);
        await world.standin.pendingFor(2000);
        const submitted = await world.submit();
        // Answered before any wait: the channel's 开票中 ended the submit's wait at once.
        expect(submitted.status).toBe("issuing");
        expect(world.waited.map((w) => w.ms)).toEqual([3000]);
        if (kind === "postgres") expect(world.waited.map((w) => w.checkedOut)).toEqual([0]);
        const [held] = await world.standin.accepted();
        expect(await world.invoice(submitted.id)).toMatchObject({
          status: "issued",
          number: held!.number,
          attempts: 1,
        });
        // The channel's own files were fetched from its host and are the legal ones; ours the preview,
        // rendered only when first asked for.
        const files = world.app.ctx.providers.files;
        expect((await files.get(submitted.id, "pdf"))?.toString()).toBe(
          world.standin.legalPdf(held!.number!),
        );
        expect(await files.get(submitted.id, "preview_pdf")).toBeUndefined();
        await ensurePreviewFile(world.app.ctx, await world.invoice(submitted.id), "preview_pdf");
        expect((await files.get(submitted.id, "preview_pdf"))?.subarray(0, 5).toString()).toBe("%PDF-");
        expect((await world.invoice(submitted.id)).channelData).not.toHaveProperty("pendingFiles");
      });

      it(`1. 开票中 beyond 3 s + 5 s → issuing (not an outage), the sweep asks at its cadence → issued with the channel's number and time [${kind}]`, async () => {
        world = await open(kind);
        const submitted = await world.submit();
        expect(submitted.status).toBe("issuing");
        expect(world.waited.map((w) => w.ms)).toEqual([3000, 5000]);
        expect(await world.standin.accepted()).toEqual([
          { key: world.standin.keyOf(submitted.serial), number: null },
        ]);
        // Still 开票中 at the sweep's first look: nothing changes, the invoice waits for the next one.
        expect(await world.sweep()).toBe(1);
        expect(await world.invoice(submitted.id)).toMatchObject({
          status: "issuing",
          attempts: 2,
          failureCode: null,
        });
        await world.standin.advance(PENDING_MS);
        expect(await world.sweep()).toBe(1);
        const [held] = await world.standin.accepted();
        const issued = await world.invoice(submitted.id);
        expect(issued).toMatchObject({ status: "issued", number: held!.number });
        expect(issued.number).toMatch(/^\d{20}$/);
        expect(issued.issuedAt).toBeInstanceOf(Date);
      });

      it(`2. the same serial twice, one after the other and at once → one invoice at the channel [${kind}]`, async () => {
        world = await open(kind);
        const submitted = await world.submit();
        const { db } = world.app.ctx.database;
        const row = await world.invoice(submitted.id);
        const org = await findOrganizationByIdOrTaxId(db, world.orgId);
        const [account] = await db
          .select()
          .from(taxBureauAccounts)
          .where(eq(taxBureauAccounts.orgId, world.orgId));
        const request = issueRequestOf(
          row,
          org!,
          await findInvoiceLines(db, row.id),
          account!.settings as Record<string, unknown>,
        );
        const channel = world.app.ctx.providers.channels.get(world.standin.channel)!;
        // (开票中 reads as pending, or as "try later" through the bridge of the older contract.)
        const ask = () =>
          channel.issue(request).catch((e: unknown) => {
            if (e instanceof ChannelUnavailableError) return { status: "pending" as const };
            throw e;
          });
        // Again, after it was accepted: the duplicate answer is resolved by a query (still 开票中).
        expect(await ask()).toMatchObject({ status: "pending" });
        await world.standin.advance(PENDING_MS);
        const [a, b] = await Promise.all([ask(), ask()]);
        expect(a).toMatchObject({ status: "issued" });
        expect(b).toEqual(a);
        const held = await world.standin.accepted();
        expect(held).toHaveLength(1);
        expect(held[0]).toMatchObject({
          key: world.standin.keyOf(submitted.serial),
          number: (a as { number: string }).number,
        });
        // Two sweeps at once over the same invoice: it is issued once, under that number.
        await Promise.all([world.sweep(), world.sweep()]);
        expect(await world.invoice(submitted.id)).toMatchObject({
          status: "issued",
          number: held[0]!.number,
        });
        expect(await world.standin.accepted()).toHaveLength(1);
      });

      it(`3. the answer is lost after the channel committed → the query finds it; no second request [${kind}]`, async () => {
        world = await open(kind);
        await world.standin.dropNextAnswer();
        const submitted = await world.submit();
        expect(submitted.status).toBe("issuing");
        expect(await world.standin.accepted()).toHaveLength(1);
        await world.standin.advance(PENDING_MS);
        expect(await world.sweep()).toBe(1);
        expect(await world.invoice(submitted.id)).toMatchObject({ status: "issued" });
        expect(await world.standin.accepted()).toHaveLength(1);
      });

      it(`4. 开票中 beyond the short wait; the callback makes it issued; forged and repeated callbacks change nothing [${kind}]`, async () => {
        world = await open(kind);
        const base = await world.app.http.listen({ port: 0, host: "127.0.0.1" });
        const url = `${base}${world.standin.callbackPath}`;
        const submitted = await world.submit();
        expect(submitted.status).toBe("issuing");
        // Forged: claims an invoice that the channel has not issued. Acknowledged; nothing believed.
        expect(await world.standin.forgeCallback(submitted.serial, url)).toEqual(
          world.standin.acknowledgement,
        );
        expect(await world.invoice(submitted.id)).toMatchObject({ status: "issuing", number: null });
        await world.standin.advance(PENDING_MS);
        // The real one, twice: the query it triggers issues the invoice; the repeat changes nothing.
        const replies = await world.standin.callback(submitted.serial, url, 2);
        expect(replies).toEqual([world.standin.acknowledgement, world.standin.acknowledgement]);
        const issued = await world.invoice(submitted.id);
        const [held] = await world.standin.accepted();
        expect(issued).toMatchObject({ status: "issued", number: held!.number });
        expect(await world.standin.forgeCallback(submitted.serial, url)).toEqual(
          world.standin.acknowledgement,
        );
        expect(await world.invoice(submitted.id)).toEqual(issued);
      });

      it(`5. a refusal fails the invoice with the channel's code and words; 5xx keeps it queued; a logged-out account holds it (需重新认证) until it is back [${kind}]`, async () => {
        world = await open(kind);
        await world.standin.failNext("购买方名称与税号不匹配");
        const refused = await world.submit();
        await world.standin.normal();
        await world.standin.advance(PENDING_MS);
        await world.sweep();
        expect(await world.invoice(refused.id)).toMatchObject({
          status: "failed",
          failureReason: expect.stringContaining("购买方名称与税号不匹配"),
          failureCode: expect.stringMatching(new RegExp(world.standin.channel, "i")),
        });

        await world.standin.http5xxNext();
        const outage = await world.submit();
        expect(outage.status).toBe("issuing");
        await world.standin.loggedOut(true);
        const held = await world.submit();
        await world.standin.advance(PENDING_MS);
        await world.sweep();
        expect(await world.invoice(held.id)).toMatchObject({ status: "issuing", number: null });
        expect((await world.invoice(outage.id)).status).not.toBe("failed");
        const [account] = await world.app.ctx.database.db
          .select()
          .from(taxBureauAccounts)
          .where(eq(taxBureauAccounts.orgId, world.orgId));
        expect(account).toMatchObject({ status: "reauth", statusProblem: "logged_out" });
        // Logged in again: the account check finds it online, and the held invoices go on by themselves.
        await world.standin.loggedOut(false);
        expect(await checkTaxAccount(world.app.ctx, account!.id)).toMatchObject({ status: "online" });
        for (let i = 0; i < 3 && (await world.invoice(held.id)).status !== "issued"; i++) {
          await world.sweep();
          await world.standin.advance(PENDING_MS);
        }
        expect(await world.invoice(held.id)).toMatchObject({ status: "issued" });
      });

      it(`6. a token that expires mid-run costs one new token, and issuing goes on [${kind}]`, async () => {
        world = await open(kind);
        const first = await world.submit();
        expect(await world.standin.tokenFetches()).toBe(1);
        await world.standin.expireTokens();
        const second = await world.submit();
        await world.standin.advance(PENDING_MS);
        await world.sweep();
        expect(await world.standin.tokenFetches()).toBe(2);
        for (const s of [first, second]) expect((await world.invoice(s.id)).status).toBe("issued");
      });

      it(`7. a seal failure is retried at the channel, never re-sent under a new number, then issued [${kind}]`, async () => {
        world = await open(kind);
        await world.standin.sealFailNext();
        const submitted = await world.submit();
        await world.standin.normal();
        for (let i = 0; i < 4 && (await world.invoice(submitted.id)).status !== "issued"; i++) {
          await world.standin.advance(PENDING_MS);
          await world.sweep();
        }
        expect(await world.invoice(submitted.id)).toMatchObject({ status: "issued" });
        expect(await world.standin.accepted()).toHaveLength(1);
      });

      it(`8. red through the channel's 红字确认单: not booked → 无需确认, issued; booked → 待确认, asked by the poll, confirmed by the buyer later → issued; refused → failed, the blue can be reversed again; never a second form [${kind}]`, async () => {
        world = await open(kind);
        // Not booked by the buyer: no confirmation needed; the channel issues the red invoice.
        const blue1 = await world.issuedBlue();
        const red1 = await world.reverse(blue1.id);
        expect(red1.status).toMatch(/^(pending|issuing)$/);
        await world.standin.advance(PENDING_MS);
        await world.sweep();
        expect(await world.invoice(red1.id)).toMatchObject({
          status: "issued",
          number: expect.stringMatching(/^\d{20}$/),
        });
        expect(await world.invoice(blue1.id)).toMatchObject({ status: "reversed" });
        expect(await world.confirmation(red1.id)).toMatchObject({
          status: "no_confirmation_needed",
          number: expect.any(String),
        });

        // Booked: the 确认单 waits for the buyer; the poll asks and nothing changes until the buyer answers.
        const blue2 = await world.issuedBlue();
        await world.standin.booked(blue2.serial, true);
        const red2 = await world.reverse(blue2.id);
        expect(red2.status).toBe("confirmation_pending");
        const waiting = await world.confirmation(red2.id);
        expect(waiting).toMatchObject({ status: "pending", number: expect.any(String) });
        expect(await world.pollRed()).toBe(1);
        expect(await world.invoice(red2.id)).toMatchObject({
          status: "confirmation_pending",
          number: null,
        });
        await world.standin.answerRed(red2.serial, true);
        // Confirmed: the channel issues the red invoice itself (开票中 first), the poll then finds it.
        await world.pollRed();
        await world.standin.advance(PENDING_MS);
        expect(await world.pollRed()).toBe(1);
        expect(await world.invoice(red2.id)).toMatchObject({
          status: "issued",
          number: expect.stringMatching(/^\d{20}$/),
        });
        expect(await world.confirmation(red2.id)).toMatchObject({
          status: "confirmed",
          number: waiting!.number,
        });
        expect(await world.invoice(blue2.id)).toMatchObject({ status: "reversed" });

        // Refused by the buyer: the red invoice fails with the channel's code; the blue stays issued.
        const blue3 = await world.issuedBlue();
        await world.standin.booked(blue3.serial, true);
        const red3 = await world.reverse(blue3.id);
        expect(red3.status).toBe("confirmation_pending");
        await world.standin.answerRed(red3.serial, false);
        await world.pollRed();
        expect(await world.invoice(red3.id)).toMatchObject({
          status: "failed",
          failureCode: expect.stringContaining("05"),
        });
        expect(await world.confirmation(red3.id)).toMatchObject({ status: "refused" });
        expect(await world.invoice(blue3.id)).toMatchObject({ status: "issued" });
        // Nothing waits any more: the poll has nothing to ask; one form per red invoice, ever.
        expect(await world.pollRed()).toBe(0);
        await world.sweep();
        expect(await world.standin.redApplications()).toBe(3);
      });

      it(`8b. 部分红冲 where the channel has it: one line in part, then more of the same line (the channel counts the first), then what remains — each its own 确认单 and red invoice, as the consumer and the operator see with the sandbox; more than remains refused by us before any call, and by the channel when it knows of a form applied for elsewhere; a channel without it refuses, uncalled [${kind}]`, async () => {
        world = await open(kind);
        const w = world;
        const blue = await w.issuedBlue();
        const calls = () => w.standin.businessCalls();
        if (!w.standin.partialRed) {
          const before = await calls();
          await expect(w.reverse(blue.id, { lines: [{ lineNo: 2, quantity: "1" }] })).rejects.toMatchObject({
            code: "PARTIAL_RED_NOT_SUPPORTED",
          });
          expect(await calls()).toBe(before);
          expect(await w.invoice(blue.id)).toMatchObject({ status: "issued" });
          return;
        }
        const issuedRed = async (part: Parameters<World["reverse"]>[1]) => {
          const red = await w.reverse(blue.id, part);
          expect(red.status).toMatch(/^(pending|issuing)$/);
          await w.standin.advance(PENDING_MS);
          await w.sweep();
          const done = await w.invoice(red.id);
          expect(done).toMatchObject({ status: "issued", number: expect.stringMatching(/^\d{20}$/) });
          expect(await w.confirmation(red.id)).toMatchObject({
            status: "no_confirmation_needed",
            number: expect.any(String),
          });
          return done;
        };
        const remaining = async () =>
          (await reversibleViewOf(w.app.ctx.database.db, await w.invoice(blue.id)))!.remaining.totalAmount;

        // The blue invoice: 午餐 100.00; 标准间 2 × 388.00 less 76.00 (net 700.00).
        const one = await issuedRed({ lines: [{ lineNo: 2, quantity: "1" }] });
        expect(one.totalAmount).toBe("-350.00");
        expect(await w.invoice(blue.id)).toMatchObject({ status: "partially_reversed" });
        expect(await remaining()).toBe("450.00");
        const other = await issuedRed({ lines: [{ lineNo: 2, quantity: "1" }] });
        expect(other.totalAmount).toBe("-350.00");
        expect(await remaining()).toBe("100.00");

        // More of line 2 than remains: refused by us, the channel never asked.
        const before = await calls();
        const forms = await w.standin.redApplications();
        await expect(w.reverse(blue.id, { lines: [{ lineNo: 2, quantity: "1" }] })).rejects.toMatchObject({
          code: "NOTHING_LEFT_TO_REVERSE",
        });
        expect([await calls(), await w.standin.redApplications()]).toEqual([before, forms]);

        // Only a reason: all that remains (line 1), a part of the blue invoice at the channel.
        const rest = await issuedRed({});
        expect(rest.totalAmount).toBe("-100.00");
        expect(await w.invoice(blue.id)).toMatchObject({ status: "reversed" });
        expect(await remaining()).toBe("0.00");

        // The consumer sees the blue invoice and its three red ones, numbered by the channel.
        const view = (await w.app.http.inject({ method: "GET", url: `/api/scan/${blue.token}` })).json() as {
          invoices: Array<{ color: string; status: string; number: string | null; redOf: string | null }>;
        };
        const reds = view.invoices.filter((i) => i.color === "red");
        expect(reds.map((r) => [r.status, r.redOf])).toEqual(Array(3).fill(["issued", blue.id]));
        expect(new Set(reds.map((r) => r.number))).toEqual(new Set([one.number, other.number, rest.number]));

        // A form for line 1 applied for at the channel's own workbench: ours, which fits by our
        // records, is refused by the channel; the red invoice fails with its code, the blue is
        // reversible again.
        const blue2 = await w.issuedBlue();
        await w.standin.reverseLineOutside!((await w.invoice(blue2.id)).number!, 1);
        const refused = await w.reverse(blue2.id, { lines: [{ lineNo: 1 }] });
        await w.standin.advance(PENDING_MS);
        await w.sweep();
        expect(await w.invoice(refused.id)).toMatchObject({
          status: "failed",
          failureCode: expect.stringMatching(new RegExp(w.standin.channel, "i")),
        });
        expect(await w.invoice(blue2.id)).toMatchObject({ status: "issued" });
        expect(
          (await reversibleViewOf(w.app.ctx.database.db, await w.invoice(blue2.id)))!.remaining.totalAmount,
        ).toBe("800.00");
      });

      it(`9. rate limited: taken as "later", no busy polling — one call in the submit, one per sweep when due, then issued [${kind}]`, async () => {
        // Production-like cadence: the sweep's first look 15 s after the submit, then every 30 s.
        world = await open(kind, { issueBackstopSeconds: 15, issueRetrySeconds: 30 });
        await world.issuedBlue(); // token obtained, account known
        const before = await world.standin.businessCalls();
        await world.standin.rateLimited(true);
        const waitsBefore = world.waited.length;
        const submitted = await world.submit();
        expect(submitted.status).toBe("issuing");
        // One call: no retry in the submit, no wait-and-ask.
        expect(await world.standin.businessCalls()).toBe(before + 1);
        expect(world.waited.length).toBe(waitsBefore);
        const notBefore = (row: { nextAttemptAt: Date | null }) => row.nextAttemptAt!.getTime() - Date.now();
        expect(notBefore(await world.invoice(submitted.id))).toBeGreaterThan(10_000);
        // The sweep, when due, still throttled: one call, and the invoice is not due again before its lease.
        await world.sweep();
        expect(await world.standin.businessCalls()).toBe(before + 2);
        expect(notBefore(await world.invoice(submitted.id))).toBeGreaterThan(20_000);
        expect((await world.invoice(submitted.id)).status).toBe("issuing");
        // Throttling over: asked (not found), issued once.
        await world.standin.rateLimited(false);
        await world.sweep();
        await world.standin.advance(PENDING_MS);
        await world.sweep();
        expect(await world.invoice(submitted.id)).toMatchObject({ status: "issued" });
        expect(
          (await world.standin.accepted()).filter((a) => a.key === world!.standin.keyOf(submitted.serial)),
        ).toHaveLength(1);
      });

      it("10. signatures: the adapter's signer / codec reproduces the protocol's published vectors byte for byte", () => {
        const vectors = makeHarness().signingVectors();
        expect(vectors.length).toBeGreaterThan(0);
        for (const v of vectors) expect(v.actual, v.name).toBe(v.expected);
      });
    });
  }
}
