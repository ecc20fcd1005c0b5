import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { type Database, openPostgres } from "../../platform/db/client";
import { OrgViews } from "./org-views";

/**
 * The scan keeps what it shows of an organization per process (org-views.ts): every change, by
 * whoever makes it, must reach the next scans — through the triggers' notifications (drizzle/0037).
 */
for (const kind of databaseKinds()) {
  describe(`an organization as the scan shows it, kept per process [${kind}]`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await createTestApp(kind, { startJobs: false });
      await waitUntil(() => app.ctx.orgViews.live, "listening to organization changes", 10_000);
    });
    afterAll(() => app?.close());

    const sql = (text: string, values?: unknown[]) => app.ctx.database.executeSql(text, values);
    const scan = async (token: string) => {
      const res = await app.http.inject({
        method: "GET",
        url: `/api/scan/${token}`,
        headers: { "x-piaoma-poll": "1" },
      });
      expect(res.statusCode).toBe(200);
      return res.json() as {
        seller: { name: string; phone: string };
        limit: { amount: string; policy: string };
        merge: { enabled: boolean };
        titleSources: { wechat: boolean; lookup: boolean };
        defaultBuyerType: string;
      };
    };

    it("shows a change of seller, 开票设置 or title sources at the next scans, made by anyone", async () => {
      const org = await makeOrganization(app.ctx.database, { name: "缓存测试餐饮有限公司" });
      const code = await makeReceiptCode(app.ctx, org.id);
      const first = await scan(code.token);
      expect(first.seller.name).toBe("缓存测试餐饮有限公司");
      expect(first.merge.enabled).toBe(false);
      expect(first.titleSources.lookup).toBe(false);
      // Kept (once the organization's own creation has been heard of): the next scan reads only the code.
      await waitUntil(
        async () => (await scan(code.token)) && app.ctx.orgViews.size > 0,
        "the organization kept",
        5000,
      );

      await sql(
        "update organizations set name = '缓存测试餐饮（新）有限公司', phone = '0571-12345678' where id = $1",
        [org.id],
      );
      await waitUntil(
        async () => (await scan(code.token)).seller.phone === "0571-12345678",
        "the new seller on the scan",
        5000,
      );
      expect((await scan(code.token)).seller.name).toBe("缓存测试餐饮（新）有限公司");

      await sql(
        "update receipt_code_configs set merge_enabled = true, default_buyer_type = 'individual' where org_id = $1",
        [org.id],
      );
      await waitUntil(async () => (await scan(code.token)).merge.enabled, "合并开票 on the scan", 5000);
      expect((await scan(code.token)).defaultBuyerType).toBe("individual");

      await sql(
        `insert into org_integrations (org_id, title_provider, title_provider_key_ciphertext) values ($1, 'tianyancha', 'sealed')
         on conflict (org_id) do update set title_provider = excluded.title_provider,
           title_provider_key_ciphertext = excluded.title_provider_key_ciphertext`,
        [org.id],
      );
      await waitUntil(
        async () => (await scan(code.token)).titleSources.lookup,
        "the title lookup on the scan",
        5000,
      );
    });

    it("does not keep a read that a change overtook", async () => {
      const org = await makeOrganization(app.ctx.database, { name: "并发读取有限公司" });
      // A reader whose query answers only when the test lets it, on the app's own database.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow: Database = {
        ...app.ctx.database,
        prepared: async <T>(name: string, text: string, values: unknown[]) => {
          const rows = await app.ctx.database.prepared<T>(name, text, values);
          await gate;
          return rows;
        },
      } as Database;
      const views = new OrgViews(slow);
      views.start();
      try {
        await waitUntil(() => views.live, "the second reader listening", 10_000);
        const reading = views.get(org.id);
        await sql("update organizations set phone = '0571-87654321' where id = $1", [org.id]);
        // The change's notification reaches this reader while its read (from before) is still out.
        await new Promise((r) => setTimeout(r, 300));
        release();
        expect((await reading)?.sellerName).toBe("并发读取有限公司");
        expect(views.size).toBe(0);
        expect((await views.get(org.id))?.sellerPhone).toBe("0571-87654321");
        expect(views.size).toBe(1);
      } finally {
        await views.close();
      }
    });
  });
}

describePostgres("an organization kept per process when its listening connection breaks [postgres]", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp("postgres", { startJobs: false });
    await waitUntil(() => app.ctx.orgViews.live, "listening to organization changes", 10_000);
  });
  afterAll(() => app?.close());

  const sql = (text: string, values?: unknown[]) => app.ctx.database.executeSql(text, values);
  const sellerName = async (token: string) =>
    (await app.http.inject({ method: "GET", url: `/api/scan/${token}` })).json().seller.name as string;

  it("keeps nothing while not listening, misses no change, and keeps again once listening", async () => {
    const org = await makeOrganization(app.ctx.database, { name: "断线测试有限公司" });
    const code = await makeReceiptCode(app.ctx, org.id);
    expect(await sellerName(code.token)).toBe("断线测试有限公司");
    // Kept once the organization's own creation has been heard of.
    await waitUntil(
      async () => (await sellerName(code.token)) && app.ctx.orgViews.size > 0,
      "the organization kept",
      5000,
    );

    const { rows } = await sql(
      "select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = current_database() and query = 'listen piaoma_org_view'",
    );
    expect(rows).toEqual([{ ended: true }]);
    await waitUntil(() => !app.ctx.orgViews.live, "the lost connection noticed", 5000);
    expect(app.ctx.orgViews.size).toBe(0);

    // Changed while nobody listens: the next scan reads it, and keeps nothing.
    await sql("update organizations set name = '断线测试（改）有限公司' where id = $1", [org.id]);
    expect(await sellerName(code.token)).toBe("断线测试（改）有限公司");
    expect(app.ctx.orgViews.size).toBe(0);

    // Listening again (0.5 s later): kept again, and changes reach it again.
    await waitUntil(() => app.ctx.orgViews.live, "listening again", 10_000);
    expect(await sellerName(code.token)).toBe("断线测试（改）有限公司");
    expect(app.ctx.orgViews.size).toBe(1);
    await sql("update organizations set name = '断线测试（再改）有限公司' where id = $1", [org.id]);
    await waitUntil(
      async () => (await sellerName(code.token)) === "断线测试（再改）有限公司",
      "the change after listening again",
      5000,
    );
  });
});

describePostgres(
  "an organization kept per process when its listening connection goes silent [postgres]",
  () => {
    let app: TestApp;
    let proxy: net.Server;
    const links: Array<[net.Socket, net.Socket]> = [];
    beforeAll(async () => {
      app = await createTestApp("postgres", { startJobs: false });
      // A TCP hop between the listener and PostgreSQL that can stop carrying bytes without closing
      // anything, as a NAT or a proxy that forgot the connection does.
      const target = new URL(process.env.TEST_DATABASE_URL ?? "");
      proxy = net.createServer((client) => {
        const server = net.connect(Number(target.port || 5432), target.hostname);
        client.pipe(server);
        server.pipe(client);
        client.on("error", () => {});
        server.on("error", () => {});
        links.push([client, server]);
      });
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    });
    afterAll(async () => {
      for (const [a, b] of links) {
        a.destroy();
        b.destroy();
      }
      proxy?.close();
      await app?.close();
    });

    it("stops keeping (and reads every scan's organization) once the connection stops answering", async () => {
      if (app.ctx.database.kind !== "postgres") throw new Error("expects PostgreSQL");
      const { rows } = await app.ctx.database.executeSql("select current_database() as name");
      const { name } = rows[0] as { name: string };
      const url = new URL(process.env.TEST_DATABASE_URL ?? "");
      url.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
      url.pathname = `/${name}`;
      // Created before listening starts: its own notifications do not reach the reader below.
      const org = await makeOrganization(app.ctx.database, { name: "静默断线有限公司" });
      const viaProxy = openPostgres(url.toString(), 2);
      const views = new OrgViews(viaProxy);
      views.start(undefined, { everyMs: 200, timeoutMs: 500 });
      try {
        await waitUntil(() => views.live, "listening through the hop", 10_000);
        await views.get(org.id);
        expect(views.size).toBe(1);
        // Health checks answered for a while: still listening.
        await new Promise((r) => setTimeout(r, 700));
        expect(views.live).toBe(true);
        for (const [client, server] of links) {
          client.unpipe(server);
          server.unpipe(client);
          client.pause();
          server.pause();
        }
        await waitUntil(() => !views.live, "the silent connection noticed", 5000);
        expect(views.size).toBe(0);
      } finally {
        await views.close();
        await viaProxy.close();
      }
    });
  },
);
