import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Layering, layeringViolations, type Sources } from "./layering";

const root = path.resolve(import.meta.dirname, "../..");

/** Who owns which table: the one module that writes it (ARCHITECTURE.md, "Who owns which table"). */
const owners: Layering["owners"] = {
  organizations: "organizations",
  tax_bureau_accounts: "tax-accounts",
  devices: "devices",
  items: "items",
  receipt_code_configs: "configs",
  users: "users",
  user_organizations: "users",
  app_credentials: "credentials",
  audit_log: "audit",
  console_sessions: "auth",
  receipt_codes: "receipt-codes",
  receipt_code_lines: "receipt-codes",
  submissions: "scan",
  submission_codes: "scan",
  typed_code_misses: "scan",
  invoices: "invoices",
  invoice_lines: "invoices",
  invoice_files: "invoices",
  invoice_number_sequences: "invoices",
  sandbox_issued: "invoices",
  channel_tokens: "invoices",
  red_confirmations: "invoices",
  sandbox_red_confirmations: "invoices",
  deliveries: "deliveries",
  sms_outbox: "deliveries",
  sms_quota: "deliveries",
  digest_runs: "digest",
  open_api_nonces: "open-api",
  webhook_events: "webhooks",
  webhook_attempts: "webhooks",
  stats_daily: "stats",
  stats_daily_activity: "stats",
  stats_days: "stats",
  stats_dirty_days: "stats",
  org_integrations: "organizations",
  wechat_tokens: "wechat",
  wechat_invoice_cards: "wechat",
  refunds: "refunds",
  store_codes: "store-codes",
  pending_submissions: "store-codes",
  correction_requests: "corrections",
  review_rules: "invoices",
  exception_settings: "exceptions",
  my_login_codes: "my-invoices",
  my_sessions: "my-invoices",
};

/**
 * The writes across owners that are allowed, each for a reason. The hot paths write several
 * modules' rows in one statement (atomic without a transaction, one round trip: ARCHITECTURE.md,
 * "The life of a scan"); those statements build the rows with their owners' functions
 * (deliveryRows, auditRow) and the Drizzle tables' columns.
 */
const allowedWrites: Layering["allowedWrites"] = {
  "scan writes receipt_codes":
    "the submit statement moves the code to issuing, only if its submission was inserted",
  "scan writes invoices":
    "the submit statement inserts the planned invoices with their first attempt counted",
  "scan writes invoice_lines": "… and their lines",
  "scan writes audit_log": "… and the audit entry, in the same statement",
  "invoices writes receipt_codes":
    "saving an outcome moves the code to invoiced / failed in the same statement or transaction",
  "invoices writes deliveries": "the issued invoice's deliveries are inserted in the statement that saves it",
  "invoices writes audit_log": "… and its audit entry",
  "invoices writes tax_bureau_accounts":
    "an account problem met while issuing (需重新认证 / 离线) is recorded on the account in the transaction that holds the invoice",
  "auth writes users": "a failed login is counted on the user, and five lock it (the login lock)",
  "open-api writes app_credentials": "a signed request records when its key was last used",
  "organizations writes receipt_code_configs":
    "a new organization gets its default 小票码配置 in the same transaction",
  "organizations writes tax_bureau_accounts": "… and its tax-bureau account",
  "organizations writes user_organizations": "… and its creator's membership",
  "tax-accounts writes receipt_code_configs":
    "an account created as the default becomes the 小票码配置's account in the same transaction",
  "files writes invoice_files":
    "files:migrate moves a file's bytes into the bucket and repoints only its storage columns, if the row is unchanged",
  "credentials writes tax_bureau_accounts":
    "secret:rotate re-seals every secret kept under the master key in one transaction: channel settings",
  "credentials writes channel_tokens": "… and the channels' kept access tokens",
  "credentials writes org_integrations": "… and the organizations' sealed 公众号 secrets and registry keys",
  "credentials writes wechat_tokens": "… and WeChat's kept access tokens and tickets",
  "demo writes devices": "the demo seed builds a whole demo merchant",
  "demo writes items": "… with its items",
};

function readSources(): Sources {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" })) {
    const file = `src/${entry.split(path.sep).join("/")}`;
    if (/\.tsx?$/.test(file)) files.set(file, fs.readFileSync(path.join(root, file), "utf8"));
  }
  return files;
}

describe("the floor plan", () => {
  const sources = readSources();

  it("reads the server's sources and the schema's tables", () => {
    expect(sources.size).toBeGreaterThan(150);
    expect(Object.keys(owners).length).toBeGreaterThan(20);
  });

  it("is kept: the platform imports no module, auth no feature module, no two modules each other, tables written by their owners", () => {
    expect(layeringViolations(sources, { owners, allowedWrites })).toEqual([]);
  });

  it("gives every table of the schema an owner", () => {
    const tables = [...sources]
      .filter(([file]) => file.startsWith("src/platform/db/schema/"))
      .flatMap(([, text]) => [...text.matchAll(/pgTable\(\s*"(\w+)"/g)].map((m) => m[1]));
    expect(tables.filter((t) => !(t! in owners))).toEqual([]);
  });
});

/** The checker on made-up trees: each rule catches a planted breach. */
describe("the floor-plan checker", () => {
  const schema = `export const gadgets = pgTable("gadgets", {});\nexport const widgets = pgTable(\n  "widgets", {});`;
  const tree = (files: Record<string, string>): Sources =>
    new Map(Object.entries({ "src/platform/db/schema/index.ts": schema, ...files }));
  const layering: Layering = { owners: { gadgets: "gadgets", widgets: "widgets" }, allowedWrites: {} };
  const check = (files: Record<string, string>, l = layering) => layeringViolations(tree(files), l);

  it("passes a clean tree", () => {
    expect(
      check({
        "src/platform/http.ts": `import { x } from "./errors";`,
        "src/platform/errors.ts": ``,
        "src/modules/auth/access.ts": `import { y } from "../../platform/http";`,
        "src/modules/gadgets/gadgets.service.ts": `import { a } from "../auth/access";\nimport { w } from "../widgets/widgets.service";\ndb.insert(gadgets).values(1);`,
        "src/modules/widgets/widgets.service.ts": `const s = \`update widgets set n = 1\`;`,
      }),
    ).toEqual([]);
  });

  it("catches the platform importing a module or the composition root", () => {
    expect(
      check({
        "src/platform/http.ts": `import type { G } from "../modules/gadgets/gadgets.service";`,
        "src/platform/jobs.ts": `import type { AppContext } from "../context";`,
        "src/modules/gadgets/gadgets.service.ts": ``,
        "src/context.ts": ``,
      }),
    ).toEqual([
      "the platform imports a module: src/platform/http.ts → src/modules/gadgets/gadgets.service.ts",
      "the platform imports a module: src/platform/jobs.ts → src/context.ts",
    ]);
  });

  it("catches auth importing a feature module", () => {
    expect(
      check({
        "src/modules/auth/console-guard.ts": `import {\n  g,\n} from "../gadgets/gadgets.routes";`,
        "src/modules/gadgets/gadgets.routes.ts": ``,
      }),
    ).toEqual([
      "auth imports a feature module: src/modules/auth/console-guard.ts → src/modules/gadgets/gadgets.routes.ts",
    ]);
  });

  it("catches two modules importing each other, directly or in a circle, types included", () => {
    expect(
      check({
        "src/modules/gadgets/a.ts": `import type { W } from "../widgets/b";`,
        "src/modules/widgets/b.ts": `import { g } from "../gadgets/a";`,
      }),
    ).toEqual(["modules import each other: gadgets ↔ widgets"]);
    expect(
      check({
        "src/modules/a/a.ts": `import { b } from "../b/b";`,
        "src/modules/b/b.ts": `import { c } from "../c/c";`,
        "src/modules/c/c.ts": `import { a } from "../a/a";`,
      }),
    ).toHaveLength(1);
  });

  it("ignores tests, comments and imports within a module", () => {
    expect(
      check({
        "src/modules/gadgets/a.ts": `// import { b } from "../widgets/b";\nimport { c } from "./c";`,
        "src/modules/gadgets/c.ts": ``,
        "src/modules/widgets/b.ts": `import { a } from "../gadgets/a";`,
        "src/modules/widgets/b.test.ts": `import { b } from "../gadgets/a";\ndb.insert(gadgets);`,
      }),
    ).toEqual([]);
  });

  it("catches a module writing another's table, by Drizzle or by SQL text, unless allowed", () => {
    const files = {
      "src/modules/gadgets/a.ts": `await tx.update(widgets).set({ n: 1 });`,
      "src/modules/gadgets/b.ts": "const S = `with x as (insert into widgets select 1) select 1`;",
      "src/modules/gadgets/c.ts": "const S = `delete from nobody_owns`;\nawait db.select().from(widgets);",
    };
    expect(check(files)).toEqual([
      "gadgets writes widgets, owned by widgets: src/modules/gadgets/a.ts",
      "gadgets writes widgets, owned by widgets: src/modules/gadgets/b.ts",
    ]);
    expect(check(files, { ...layering, allowedWrites: { "gadgets writes widgets": "a reason" } })).toEqual(
      [],
    );
    expect(check({}, { ...layering, allowedWrites: { "gadgets writes widgets": "a reason" } })).toEqual([
      "allowed but never done (remove it from the list): gadgets writes widgets",
    ]);
    expect(check({ "src/modules/gadgets/a.ts": "db.delete(gadgets)" }, { ...layering, owners: {} })).toEqual([
      "gadgets has no owner (written in src/modules/gadgets/a.ts)",
    ]);
  });
});
