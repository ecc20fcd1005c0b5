import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { describeBrowser } from "../support/browser";
import { describePostgres } from "../support/db";
import { cleanEnv, repoRoot } from "../support/processes";

/**
 * Issue 23 item 5: every benchmark of bench/ runs here with tiny counts, the way a person runs it
 * (`npm run bench -- <name> …`, i.e. `tsx bench/run.ts`), so the scripts never rot. No timing is
 * checked: a smoke run only proves that a bench still drives the application to the end — its
 * requests answered as expected (BENCH_SMOKE=1 turns a bench's error count into a failure,
 * bench/support.ts smokeCheck) and its table written. The table goes to a file of this test
 * (BENCHMARKS_FILE), never to BENCHMARKS.md, whose figures are measured by hand.
 *
 * Every bench but pdf needs PostgreSQL (each makes its own database beside TEST_DATABASE_URL's);
 * pdf, scan-page and console-load also need Chromium. Both are there in CI (.ci/run).
 */
const benches: Array<{ name: string; args: string[]; section: string; browser?: boolean }> = [
  { name: "pdf", args: ["1"], section: "PDF rendering", browser: true },
  // codes, consumers, processes, pool, rate (0: back to back), warm-up submits
  { name: "issue", args: ["20", "4", "1", "4", "0", "5"], section: "Issue: submit → issued (1 process)" },
  // codes, consumers, pool: each invoice waits 2 s of 开票中 and a re-query 3 s later
  {
    name: "issue-channel",
    args: ["10", "4", "4"],
    section: "Issue through a channel: submit → issued via the 诺诺 stand-in (开票中 for 2 s)",
  },
  // codes, consumers, warm-up submits
  {
    name: "issue-statements",
    args: ["20", "4", "5"],
    section: "Issue: statements and server CPU per invoice",
  },
  { name: "scan", args: ["100", "4", "2"], section: "Scan" },
  { name: "push", args: ["30", "4"], section: "Push (3.2.01)" },
  // invoices, runs
  { name: "stats", args: ["2000", "1"], section: "Statistics dashboard over 1 million invoices" },
  { name: "scan-page", args: ["1"], section: "Consumer page on Slow 4G", browser: true },
  {
    name: "console-load",
    args: ["1", "smoke"],
    section: "Console first load on a throttled link (smoke)",
    browser: true,
  },
];

function runBench(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(repoRoot, "bench/run.ts"), name, ...args],
      {
        cwd: repoRoot,
        env: { ...cleanEnv(), ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

describePostgres("benchmark smoke run (tiny counts, no timing)", () => {
  let dir: string;
  let results: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-bench-smoke-"));
    results = path.join(dir, "BENCHMARKS.md");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const benchmarksMd = path.join(repoRoot, "BENCHMARKS.md");
  for (const bench of benches) {
    (bench.browser ? describeBrowser : describePostgres)(bench.name, () => {
      it(`npm run bench -- ${bench.name} ${bench.args.join(" ")} runs to its table`, async () => {
        const before = fs.readFileSync(benchmarksMd, "utf8");
        const { code, output } = await runBench(bench.name, bench.args, {
          BENCH_SMOKE: "1",
          BENCHMARKS_FILE: results,
          BENCH_DATABASE_URL: process.env.TEST_DATABASE_URL ?? "",
          BENCH_TEMPLATE_DATABASE: inject("postgresTemplate"),
        });
        expect(code, output).toBe(0);
        const written = fs.readFileSync(results, "utf8");
        const section = written.slice(written.indexOf(`\n## ${bench.section}\n`));
        expect(section, written).toContain(`## ${bench.section}\n`);
        expect(section).toContain(`npm run bench -- ${bench.name} ${bench.args.join(" ")}`);
        expect(section).toMatch(/\n\| --- \|/);
        // The hand-measured figures are left alone.
        expect(fs.readFileSync(benchmarksMd, "utf8")).toBe(before);
      }, 120_000);
    });
  }
});
