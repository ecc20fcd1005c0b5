/**
 * The tests every issuing channel passes against its stand-in (CHANNELS.md §7.6), through the real
 * issuing path: a consumer's submit, the issuing sweep, the channel callbacks. One list, run by each
 * adapter's `*.issuing.test.ts` with a harness that speaks to its stand-in; each scenario gets one
 * fresh database (PGlite, or PostgreSQL where the scenario is about concurrency).
 */
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../../src/modules/invoices/channels/channel";
import { prepareSettings } from "../../src/modules/invoices/channels/channel-registry";
import { findInvoiceLines } from "../../src/modules/invoices/invoices.repository";
import { issueRequestOf } from "../../src/modules/invoices/issuing.attempt";
import { ISSUE_SWEEP, issueSweep } from "../../src/modules/invoices/issuing.sweep";
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
    submit(): Promise<{ id: string; serial: string; status: string }>;
    invoice(id: string): Promise<typeof invoices.$inferSelect>;
    sweep(): Promise<number>;
    /** The submitting process's waits between re-queries (they move the stand-in's clock instead). */
    waited: Array<{ ms: number; checkedOut: number | null }>;
    close(): Promise<void>;
  }

  async function open(kind: DatabaseKind): Promise<World> {
    const standin = makeHarness();
    await standin.start();
    await standin.pendingFor(PENDING_MS);
    const waited: World["waited"] = [];
    const app: TestApp = await createTestApp(kind, {
      startJobs: false,
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
        const [row] = await app.ctx.database.db
          .select()
          .from(invoices)
          .where(eq(invoices.receiptCodeId, code.id));
        return { id: row!.id, serial: row!.serial, status: row!.status };
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
      async close() {
        await app.close();
        await standin.close();
      },
    };
    return w;
  }

  const logic: DatabaseKind = "pglite";
  const concurrency: DatabaseKind = postgres ? "postgres" : "pglite";

  describe(`${name}: the tests every channel passes (CHANNELS.md §7.6)`, () => {
    it(`1a. 开票中 for 2 s: asked again after 3 s in the submitting process, no connection held while waiting → issued in the submit [${concurrency}]`, async () => {
      world = await open(concurrency);
      await world.standin.pendingFor(2000);
      const submitted = await world.submit();
      expect(submitted.status).toBe("issued");
      expect(world.waited.map((w) => w.ms)).toEqual([3000]);
      if (concurrency === "postgres") expect(world.waited.map((w) => w.checkedOut)).toEqual([0]);
      const [held] = await world.standin.accepted();
      expect(await world.invoice(submitted.id)).toMatchObject({ number: held!.number, attempts: 1 });
      // The channel's own files were fetched from its host and are the legal ones; ours the preview.
      const files = world.app.ctx.providers.files;
      expect((await files.get(submitted.id, "pdf"))?.toString()).toBe(world.standin.legalPdf(held!.number!));
      expect((await files.get(submitted.id, "preview_pdf"))?.subarray(0, 5).toString()).toBe("%PDF-");
      expect((await world.invoice(submitted.id)).channelData).not.toHaveProperty("pendingFiles");
    });

    it(`1. 开票中 beyond 3 s + 5 s → issuing (not an outage), the sweep asks at its cadence → issued with the channel's number and time [${logic}]`, async () => {
      world = await open(logic);
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

    it(`2. the same serial twice, one after the other and at once → one invoice at the channel [${concurrency}]`, async () => {
      world = await open(concurrency);
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
      expect(await world.invoice(submitted.id)).toMatchObject({ status: "issued", number: held[0]!.number });
      expect(await world.standin.accepted()).toHaveLength(1);
    });

    it(`3. the answer is lost after the channel committed → the query finds it; no second request [${logic}]`, async () => {
      world = await open(logic);
      await world.standin.dropNextAnswer();
      const submitted = await world.submit();
      expect(submitted.status).toBe("issuing");
      expect(await world.standin.accepted()).toHaveLength(1);
      await world.standin.advance(PENDING_MS);
      expect(await world.sweep()).toBe(1);
      expect(await world.invoice(submitted.id)).toMatchObject({ status: "issued" });
      expect(await world.standin.accepted()).toHaveLength(1);
    });

    it(`4. 开票中 beyond the short wait; the callback makes it issued; forged and repeated callbacks change nothing [${logic}]`, async () => {
      world = await open(logic);
      const base = await world.app.http.listen({ port: 0, host: "127.0.0.1" });
      const url = `${base}${world.standin.callbackPath}`;
      const submitted = await world.submit();
      expect(submitted.status).toBe("issuing");
      // Forged: claims an invoice that the channel has not issued. Acknowledged; nothing believed.
      expect(await world.standin.forgeCallback(submitted.serial, url)).toEqual(world.standin.acknowledgement);
      expect(await world.invoice(submitted.id)).toMatchObject({ status: "issuing", number: null });
      await world.standin.advance(PENDING_MS);
      // The real one, twice: the query it triggers issues the invoice; the repeat changes nothing.
      const replies = await world.standin.callback(submitted.serial, url, 2);
      expect(replies).toEqual([world.standin.acknowledgement, world.standin.acknowledgement]);
      const issued = await world.invoice(submitted.id);
      const [held] = await world.standin.accepted();
      expect(issued).toMatchObject({ status: "issued", number: held!.number });
      expect(await world.standin.forgeCallback(submitted.serial, url)).toEqual(world.standin.acknowledgement);
      expect(await world.invoice(submitted.id)).toEqual(issued);
    });

    it(`5. a refusal fails the invoice with the channel's code and words; 5xx keeps it queued; a logged-out account holds it (需重新认证) until it is back [${logic}]`, async () => {
      world = await open(logic);
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

    it(`6. a token that expires mid-run costs one new token, and issuing goes on [${concurrency}]`, async () => {
      world = await open(concurrency);
      const first = await world.submit();
      expect(await world.standin.tokenFetches()).toBe(1);
      await world.standin.expireTokens();
      const second = await world.submit();
      await world.standin.advance(PENDING_MS);
      await world.sweep();
      expect(await world.standin.tokenFetches()).toBe(2);
      for (const s of [first, second]) expect((await world.invoice(s.id)).status).toBe("issued");
    });

    it(`7. a seal failure is retried at the channel, never re-sent under a new number, then issued [${logic}]`, async () => {
      world = await open(logic);
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
  });
}
