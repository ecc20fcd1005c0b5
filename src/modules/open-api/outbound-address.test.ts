import dns from "node:dns";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { makeOrganization, makeUscc } from "../../../test/support/factories";
import { type MerchantServer, startMerchant } from "../../../test/support/open-api";
import { systemActor } from "../../context";
import { postJson } from "../../platform/outbound-http";
import { createOrganization } from "../organizations/organizations.service";

/** Answers every name with these addresses, as a resolver under someone else's control could. */
function resolveTo(...addresses: string[]) {
  const list = addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  vi.spyOn(dns.promises, "lookup").mockImplementation((async () => list) as never);
  vi.spyOn(dns, "lookup").mockImplementation(((
    _host: string,
    _options: unknown,
    callback: (e: Error | null, a: typeof list) => void,
  ) => callback(null, list)) as never);
}

const FORBIDDEN_URLS = [
  "http://localhost:8080/q",
  "http://127.0.0.1/q",
  "http://[::1]/q",
  "http://[::]/q",
  "http://[::ffff:127.0.0.1]/q",
  "http://[0:0:0:0:0:ffff:7f00:1]/q",
  "http://[::ffff:0:7f00:1]/q",
  "http://[::127.0.0.1]/q",
  "http://[2002:7f00:1::]/q",
  "http://[64:ff9b::7f00:1]/q",
  "http://[fe80::1]/q",
  "http://[fd00::1]/q",
  "http://169.254.169.254/latest/meta-data",
  "http://2130706433/q", // 127.0.0.1 as one number
  "http://0x7f.1/q",
  "http://100.64.0.1/q",
];

describe("merchant URLs reach only global unicast addresses", () => {
  let app: TestApp;
  let orgId: string;
  let admin: ConsoleClient;
  beforeAll(async () => {
    app = await createTestApp("pglite", { env: { PIAOMA_ALLOW_PRIVATE_URLS: "false" } });
    orgId = (await makeOrganization(app.ctx.database)).id;
    const user = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgId] });
    admin = await loginAs(app, user.username, user.password);
  });
  afterAll(() => app?.close());
  afterEach(() => vi.restoreAllMocks());

  const save = (orderQueryUrl: string | null, webhookUrl: string | null = null) =>
    admin.put(`/orgs/${orgId}/open-api`, { orderQueryUrl, webhookUrl });

  it.each(FORBIDDEN_URLS)("the console refuses %s at its field and saves nothing", async (url) => {
    const res = await save(url, url);
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().error.details.fields).sort()).toEqual(["orderQueryUrl", "webhookUrl"]);
    expect(res.json().error.details.fields.webhookUrl).toContain("不能指向本机或内网地址");
    expect((await admin.get(`/orgs/${orgId}/open-api`)).json()).toMatchObject({
      orderQueryUrl: null,
      webhookUrl: null,
    });
  });

  it("resolves a hostname when saving: every address must be global, and a name must resolve", async () => {
    resolveTo("93.184.216.34", "::ffff:7f00:1");
    const mixed = await save("https://pos.example.com/q");
    expect(mixed.statusCode).toBe(422);
    expect(mixed.json().error.details.fields.orderQueryUrl).toContain("::ffff:7f00:1");

    vi.restoreAllMocks();
    vi.spyOn(dns.promises, "lookup").mockRejectedValue(Object.assign(new Error("nx"), { code: "ENOTFOUND" }));
    const unknown = await save("https://nowhere.example.com/q");
    expect(unknown.json().error.details.fields.orderQueryUrl).toContain("无法解析域名");

    vi.restoreAllMocks();
    resolveTo("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946");
    const ok = await save("https://pos.example.com/q", "https://[2001:4860:4860::8888]/hooks");
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      orderQueryUrl: "https://pos.example.com/q",
      webhookUrl: "https://[2001:4860:4860::8888]/hooks",
    });
  });

  it("org:create refuses the same URLs (createOrganization with the configuration)", async () => {
    const refused = await createOrganization(app.ctx, {
      actor: systemActor("cli:org:create"),
      input: { name: "内网商户", taxId: makeUscc(), webhookUrl: "http://[::ffff:a9fe:a9fe]/hooks" },
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: "VALIDATION_FAILED",
      details: { fields: { webhookUrl: expect.stringContaining("不能指向本机或内网地址") } },
    });
    const allowed = await createOrganization(
      { ...app.ctx, config: { allowPrivateUrls: true } },
      {
        actor: systemActor("cli:org:create"),
        input: { name: "本机商户", taxId: makeUscc(), webhookUrl: "http://127.0.0.1:9/hooks" },
      },
    );
    expect(allowed.webhookUrl).toBe("http://127.0.0.1:9/hooks");
  });
});

describe("calls to merchants are checked again when connecting", () => {
  let merchant: MerchantServer;
  beforeAll(async () => {
    merchant = await startMerchant((_r, res) => res.end("ok"));
  });
  afterAll(() => merchant?.close());
  afterEach(() => vi.restoreAllMocks());
  const options = { timeoutMs: 3000, maxBytes: 1024 };
  const port = () => new URL(merchant.url).port;

  it("refuses loopback spelled as an IPv4-mapped address, which does reach the server when allowed", async () => {
    const url = `http://[::ffff:7f00:1]:${port()}/hooks`;
    await expect(postJson(url, "{}", {}, { ...options, allowPrivate: false })).rejects.toMatchObject({
      kind: "blocked",
    });
    expect(merchant.received).toHaveLength(0);
    const allowed = await postJson(url, "{}", {}, { ...options, allowPrivate: true });
    expect(allowed.status).toBe(200);
    expect(merchant.received).toHaveLength(1);
    merchant.received.length = 0;
  });

  it("refuses a name that resolves to loopback only at connect time (DNS rebinding)", async () => {
    resolveTo("::ffff:127.0.0.1");
    const error = await postJson(
      `http://rebind.example.com:${port()}/hooks`,
      "{}",
      {},
      {
        ...options,
        allowPrivate: false,
      },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "blocked", message: expect.stringContaining("::ffff:127.0.0.1") });
    expect(merchant.received).toHaveLength(0);
  });
});
