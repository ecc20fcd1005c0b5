import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { loadConfig } from "../src/config";
import { systemActor } from "../src/context";
import { createOrganization } from "../src/modules/organizations/organizations.service";
import { createUser } from "../src/modules/users/users.service";
import { openPostgres } from "../src/platform/db/client";
import { isProductionBuild } from "../src/platform/web";
import { CHROMIUM } from "../test/support/browser";
import { startServer } from "../test/support/processes";
import {
  benchLines,
  freshDatabase,
  machine,
  percentiles,
  round,
  seedReceiptCodes,
  writeSection,
} from "./support";

/**
 * The console's first load on a throttled office link: Chromium's network emulation at 150 ms
 * round trip, 1.6 Mbit/s down and 750 kbit/s up (DevTools' "Fast 3G" class), a fresh browser
 * context per run (empty cache, new connection), 1440×900, an operator already signed in (the
 * session cookie is set; the login page is not measured). Measured:
 * - first load: navigation start until the 动态小票码 list shows its rows, and the bytes on the wire
 *   (headers included) of everything loaded until the network is idle;
 * - 统计分析 afterwards, in the same page: what opening it adds (bytes), and the time until its
 *   first chart has drawn.
 *
 *   npm run bench -- console-load [runs=5] [label]
 */
export default async function run(args: string[]): Promise<void> {
  const runs = Number(args[0] ?? 5);
  const label = args[1] ?? "";
  const db = await freshDatabase("piaoma_bench_console");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-bench-"));
  const env = {
    DATABASE_URL: db.url,
    PIAOMA_DATA_DIR: dataDir,
    PIAOMA_SECRET: "bench-secret-bench-secret-bench-secret-00",
    PIAOMA_DEMO: "false",
    LOG_LEVEL: "warn",
  };
  const server = await startServer(env);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking"],
  });
  try {
    const database = openPostgres(db.url, 4);
    const config = loadConfig({ ...env, PUBLIC_URL: server.baseUrl });
    const org = await createOrganization(
      { database },
      { actor: systemActor("bench"), input: { name: "压测酒店", taxId: "91440300PMDEM0017W" } },
    );
    await seedReceiptCodes({ database, config }, org.id, 20, { prefix: "LIST", lines: benchLines });
    await createUser(
      { database },
      {
        actor: systemActor("bench"),
        input: { username: "bench", password: "bench-password-1", role: "admin", orgIds: [org.id] },
      },
    );
    await database.close();
    const login = await fetch(`${server.baseUrl}/api/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bench", password: "bench-password-1" }),
    });
    const session = /piaoma_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1];
    if (!session) throw new Error(`login failed: ${login.status}`);

    const listMs: number[] = [];
    const firstBytes: number[] = [];
    const statsMs: number[] = [];
    const statsBytes: number[] = [];
    let detail = "";
    for (let i = 0; i <= runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
      await context.addCookies([{ name: "piaoma_session", value: session, url: server.baseUrl }]);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: 150,
        downloadThroughput: 1_600_000 / 8,
        uploadThroughput: 750_000 / 8,
      });
      const loaded: { url: string; bytes: number }[] = [];
      const urls = new Map<string, string>();
      cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
      cdp.on("Network.loadingFinished", (e) =>
        loaded.push({ url: urls.get(e.requestId) ?? "?", bytes: e.encodedDataLength }),
      );
      await page.goto(`${server.baseUrl}/admin/receipt-codes`);
      await page.locator(".ant-table-row").first().waitFor({ timeout: 60_000 });
      const ms = await page.evaluate(() => performance.now());
      await page.waitForLoadState("networkidle");
      const first = loaded.reduce((sum, r) => sum + r.bytes, 0);
      const firstCount = loaded.length;
      const before = performance.now();
      await page.getByTestId("menu-stats").click();
      await page.locator(".ant-card canvas").first().waitFor({ timeout: 60_000 });
      const chartMs = performance.now() - before;
      await page.waitForLoadState("networkidle");
      const stats = loaded.slice(firstCount).reduce((sum, r) => sum + r.bytes, 0);
      await context.close();
      // The first run warms the server and is not counted.
      if (i === 0) continue;
      listMs.push(ms);
      firstBytes.push(first);
      statsMs.push(chartMs);
      statsBytes.push(stats);
      if (i === 1) {
        detail = loaded
          .slice(0, firstCount)
          .filter((r) => r.bytes > 2048)
          .map((r) => `| \`${new URL(r.url).pathname}\` | ${r.bytes} |`)
          .join("\n");
      }
    }
    const kb = (n: number) => round(n / 1024, 1);
    const t = percentiles(listMs);
    const s = percentiles(statsMs);
    const build = isProductionBuild() ? "production" : "not production";
    const result = `| build | runs | list shown, median | slowest | first load on the wire (KB) | 统计分析 chart drawn, median | 统计分析 adds (KB) |
| --- | --- | --- | --- | --- | --- | --- |
| ${label || build} | ${runs} | ${round(t.p50, 0)} ms | ${round(t.max, 0)} ms | ${kb(Math.min(...firstBytes))}–${kb(Math.max(...firstBytes))} | ${round(s.p50, 0)} ms | ${kb(Math.min(...statsBytes))}–${kb(Math.max(...statsBytes))} |

What the first load fetched (responses over 2 KB, bytes on the wire):

| resource | bytes |
| --- | --- |
${detail}`;
    process.stdout.write(`${result}\n`);
    writeSection(
      `Console first load on a throttled link${label ? ` (${label})` : ""}`,
      `Command: \`npm run bench -- console-load ${runs}${label ? ` ${label}` : ""}\` — headless Chromium with DevTools network emulation (150 ms latency, 1.6 Mbit/s down, 750 kbit/s up), a fresh browser context per run (cold cache, new connection), 1440×900, signed in by cookie; "list shown" is navigation start to the first row of 动态小票码; then 统计分析 is opened from the menu in the same page. Server: \`piaoma serve\` on PostgreSQL, same machine; one unmeasured warm-up run first.\nMachine: ${machine()}; load average during the run ${os.loadavg()[0]?.toFixed(1)} (other helpers' builds and tests were running on the same two cores: the times include their CPU contention).\n\n${result}`,
    );
  } finally {
    await browser.close();
    await server.stop("SIGTERM");
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
