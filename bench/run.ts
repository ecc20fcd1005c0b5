// npm run bench -- <name> [options]: runs one benchmark and records it in BENCHMARKS.md.
const benches: Record<string, () => Promise<{ default: (args: string[]) => Promise<void> }>> = {
  pdf: () => import("./pdf"),
  issue: () => import("./issue"),
  "issue-channel": () => import("./issue-channel"),
  scan: () => import("./scan"),
  "scan-page": () => import("./scan-page"),
  "console-load": () => import("./console-load"),
  push: () => import("./push"),
  stats: () => import("./stats"),
  "issue-statements": () => import("./issue-statements"),
};

const [which, ...rest] = process.argv.slice(2);
const load = which ? benches[which] : undefined;
if (!load) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join("|")}> [options]\n`);
  process.exit(2);
}
await (await load()).default(rest);

export {};
