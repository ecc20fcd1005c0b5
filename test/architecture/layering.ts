import path from "node:path";

/**
 * The floor plan as rules over the source text (ARCHITECTURE.md): which folder may import which,
 * and which module may write which table. Pure: it takes the files' texts, so the rules are tested
 * on small made-up trees as well as on the real one (architecture.test.ts).
 */

/** Source files by path relative to the repository root, with /. */
export type Sources = ReadonlyMap<string, string>;

export interface Layering {
  /** Table name (SQL) → the module that owns it, the only one that writes it. */
  owners: Readonly<Record<string, string>>;
  /** Writes of another module's table that are allowed: `"<module> writes <table>"` → why. */
  allowedWrites: Readonly<Record<string, string>>;
}

/** The composition root: it may import everything, and nothing below it may import it. */
const ROOT_FILES = ["src/app.ts", "src/console-api.ts", "src/context.ts", "src/main.ts"];

/** "src/modules/<name>/…" → name; "src/platform/…" → "platform"; other files: undefined. */
export function moduleOf(file: string): string | undefined {
  const m = /^src\/modules\/([^/]+)\//.exec(file);
  if (m) return m[1];
  if (file.startsWith("src/platform/")) return "platform";
  return undefined;
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file);

/** The repository files a file imports (relative specifiers only), `import type` included. */
export function importsOf(file: string, text: string, sources: Sources): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(/\b(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1] as string));
    const found = [target, `${target}.ts`, `${target}.tsx`, `${target}/index.ts`].find((c) => sources.has(c));
    out.push(found ?? target);
  }
  return out;
}

/** The tables (SQL names) a file writes: Drizzle insert/update/delete and SQL text. */
export function tablesWritten(source: string, tableVars: ReadonlyMap<string, string>): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const written = new Set<string>();
  for (const m of text.matchAll(/\.(?:insert|update|delete)\(\s*(\w+)\s*\)/g)) {
    const table = tableVars.get(m[1] as string);
    if (table) written.add(table);
  }
  const sqlNames = new Set(tableVars.values());
  for (const m of text.matchAll(/\b(?:insert\s+into|update|delete\s+from)\s+([a-z_]+)\b/gi)) {
    const name = (m[1] as string).toLowerCase();
    if (sqlNames.has(name)) written.add(name);
  }
  return [...written];
}

/** Table variable → SQL name, from the Drizzle schema files (`export const x = pgTable("x_y", …)`). */
export function tableVariables(sources: Sources): Map<string, string> {
  const vars = new Map<string, string>();
  for (const [file, text] of sources) {
    if (!file.startsWith("src/platform/db/schema/")) continue;
    for (const m of text.matchAll(/export const (\w+) = pgTable\(\s*"(\w+)"/g))
      vars.set(m[1] as string, m[2] as string);
  }
  return vars;
}

/** Every breach of the floor plan, one line each; empty when the tree keeps it. */
export function layeringViolations(sources: Sources, layering: Layering): string[] {
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>();
  const tableVars = tableVariables(sources);
  const allowedUsed = new Set<string>();

  for (const [file, text] of sources) {
    if (!file.startsWith("src/") || isTest(file)) continue;
    const from = moduleOf(file);
    for (const target of importsOf(file, text, sources)) {
      const to = moduleOf(target);
      if (from === "platform" && (ROOT_FILES.includes(target) || target.startsWith("src/modules/")))
        problems.push(`the platform imports a module: ${file} → ${target}`);
      if (from === "auth" && to && to !== "auth" && to !== "platform")
        problems.push(`auth imports a feature module: ${file} → ${target}`);
      if (from && from !== "platform" && ROOT_FILES.includes(target) && target !== "src/context.ts")
        problems.push(`a module imports the composition root: ${file} → ${target}`);
      if (from && to && from !== to && from !== "platform" && to !== "platform") {
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)?.add(to);
      }
    }
    if (from && from !== "platform") {
      for (const table of tablesWritten(text, tableVars)) {
        const owner = layering.owners[table];
        if (owner === undefined) problems.push(`${table} has no owner (written in ${file})`);
        else if (owner !== from) {
          const write = `${from} writes ${table}`;
          if (write in layering.allowedWrites) allowedUsed.add(write);
          else problems.push(`${write}, owned by ${owner}: ${file}`);
        }
      }
    }
  }
  for (const write of Object.keys(layering.allowedWrites)) {
    if (!allowedUsed.has(write)) problems.push(`allowed but never done (remove it from the list): ${write}`);
  }
  for (const [a, targets] of edges) {
    for (const b of targets) {
      if (a < b && edges.get(b)?.has(a)) problems.push(`modules import each other: ${a} ↔ ${b}`);
    }
  }
  for (const cycle of longerCycles(edges))
    problems.push(`modules import each other in a circle: ${cycle.join(" → ")}`);
  return problems.sort();
}

/** Circles of three or more modules (pairs are reported as such), each once. */
function longerCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const found = new Map<string, string[]>();
  const walk = (start: string, at: string, trail: string[]) => {
    for (const next of edges.get(at) ?? []) {
      if (next === start && trail.length >= 3) {
        const key = [...trail].sort().join(",");
        if (!found.has(key)) found.set(key, [...trail, start]);
      } else if (!trail.includes(next) && trail.length < 8) walk(start, next, [...trail, next]);
    }
  };
  for (const start of edges.keys()) walk(start, start, [start]);
  return [...found.values()];
}
