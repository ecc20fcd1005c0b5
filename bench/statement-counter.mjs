// Loaded into a server process by bench/issue-statements.ts (node --import): counts the statements
// the process sends to PostgreSQL (each pg query call is one round trip), by text, and the CPU the
// process spent; on SIGUSR2 writes both so far to STATEMENT_COUNTER_FILE as JSON.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const pg = require("pg");
const counts = new Map();
// Each text's key is computed once: the regular expression over every statement sent was ~1 % of
// the process's CPU in the measured run, which the count should not add.
const keys = new Map();
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const text = typeof config === "string" ? config : (config?.text ?? String(config?.name ?? "?"));
  let key = keys.get(text);
  if (key === undefined) {
    key = text.replace(/\s+/g, " ").trim().slice(0, 300);
    keys.set(text, key);
  }
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return original.call(this, config, values, callback);
};
process.on("SIGUSR2", () => {
  const cpu = process.cpuUsage();
  // Written aside and renamed, so that the reader never sees half a file.
  const file = process.env.STATEMENT_COUNTER_FILE;
  fs.writeFileSync(
    `${file}.part`,
    JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, statements: Object.fromEntries(counts) }),
  );
  fs.renameSync(`${file}.part`, file);
});
