// The practical ceiling for the scan benchmark: a bare Fastify route doing one primary-key select on
// the same database, with the same pool size. Prints its URL, serves until killed.
import Fastify from "fastify";
import pg from "pg";

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
});
const app = Fastify();
app.get<{ Params: { token: string } }>("/bare/:token", async (req) => {
  const { rows } = await pool.query("select id, status, total_amount from receipt_codes where token = $1", [
    req.params.token,
  ]);
  return rows[0] ?? {};
});
const address = await app.listen({ port: 0, host: "127.0.0.1" });
process.stdout.write(`baseline listening ${address}\n`);
