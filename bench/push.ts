import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { systemActor } from "../src/context";
import { createCredentials } from "../src/modules/credentials/credentials.service";
import { createOrganization } from "../src/modules/organizations/organizations.service";
import { Keyring } from "../src/platform/crypto";
import { openPostgres } from "../src/platform/db/client";
import { signedHeaders } from "../src/platform/signing";
import { startServer } from "../test/support/processes";
import {
  benchLines,
  freshDatabase,
  httpRequest,
  machine,
  percentiles,
  pool,
  round,
  smokeCheck,
  writeSection,
} from "./support";

/**
 * Push (3.2.01): signed `POST /open/v1/receipt-codes` per second on PostgreSQL — signature and
 * nonce check, validation by the rules engine, the code stored with its lines.
 *
 *   npm run bench -- push [orders=5000] [connections=50]
 */
export default async function run(args: string[]): Promise<void> {
  const orders = Number(args[0] ?? 5000);
  const connections = Number(args[1] ?? 50);
  const secret = "bench-secret-bench-secret-bench-secret-00";
  const db = await freshDatabase("piaoma_bench_push");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-bench-"));
  const env = {
    DATABASE_URL: db.url,
    PIAOMA_DATA_DIR: dataDir,
    PIAOMA_SECRET: secret,
    PIAOMA_DEMO: "false",
    LOG_LEVEL: "warn",
    DB_POOL_SIZE: "20",
  };
  const server = await startServer(env);
  try {
    const database = openPostgres(db.url, 4);
    const org = await createOrganization(
      { database },
      {
        actor: systemActor("bench"),
        input: { name: "压测商户", taxId: "91440300PMDEM0017W", limit: "100000" },
      },
    );
    const keys = await createCredentials(
      { database, keyring: new Keyring(secret) },
      { actor: systemActor("bench"), org: org.id },
    );
    await database.close();

    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const post = (body: string) => {
      const headers = signedHeaders(keys.appKey, keys.appSecret, {
        method: "POST",
        pathWithQuery: "/open/v1/receipt-codes",
        body,
      });
      return httpRequest(agent, `${server.baseUrl}/open/v1/receipt-codes`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body,
      }).then((res) => res.status);
    };
    const order = (i: number) =>
      JSON.stringify({
        orderNo: `PUSH-${Date.now()}-${i}`,
        orderTime: new Date().toISOString(),
        drawer: "压测",
        lines: benchLines.slice(0, 2),
      });
    await post(order(-1));
    const latencies: number[] = [];
    let errors = 0;
    const start = performance.now();
    await pool([...Array(orders).keys()], connections, async (i) => {
      const t = performance.now();
      const status = await post(order(i));
      latencies.push(performance.now() - t);
      if (status !== 201) errors++;
    });
    const seconds = (performance.now() - start) / 1000;
    agent.destroy();
    smokeCheck(errors === 0, `${errors} pushes not answered 201`);
    const p = percentiles(latencies);
    const table = [
      "| orders | connections | pushes/s | p50 ms | p99 ms | errors |",
      "| --- | --- | --- | --- | --- | --- |",
      `| ${orders} | ${connections} | ${round(orders / seconds)} | ${round(p.p50, 2)} | ${round(p.p99, 2)} | ${errors} |`,
    ].join("\n");
    process.stdout.write(`${table}\n`);
    writeSection(
      "Push (3.2.01)",
      `Command: \`npm run bench -- push ${orders} ${connections}\` — signed pushes of a 3-line order (one discount) on PostgreSQL, one server process; the load generator runs on the same machine.\nMachine: ${machine()}.\n\n${table}`,
    );
  } finally {
    await server.stop("SIGTERM");
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
