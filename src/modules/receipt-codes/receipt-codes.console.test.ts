import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { receiptCodes } from "../../platform/db/schema";

/** A code with two lines and a discount on the second, as the console form sends it. */
function codeInput(overrides: Record<string, unknown> = {}) {
  return {
    serialNo: `T-${Math.random().toString(36).slice(2, 10)}`,
    drawer: "王会计",
    receiptFooter: "请于 30 天内扫码开票",
    lines: [
      {
        name: "午餐",
        shortName: "餐饮服务",
        taxCode: "3070401000000000000",
        taxRate: "0.06",
        amount: "100.00",
      },
      {
        name: "纯牛奶",
        shortName: "乳制品",
        taxCode: "1030201000000000000",
        taxRate: "0.13",
        unit: "盒",
        quantity: "2",
        unitPrice: "25",
        amount: "50.00",
      },
      { kind: "discount", amount: "-5.00" },
    ],
    ...overrides,
  };
}

describeOneDatabase("console receipt codes over HTTP", (kind) => {
  let app: TestApp;
  let orgA: { id: string };
  let orgB: { id: string };
  let admin: ConsoleClient;
  let operator: ConsoleClient;
  let viewer: ConsoleClient;
  let adminB: ConsoleClient;

  beforeEach(async () => {
    app = await createTestApp(kind);
    const db = app.ctx.database;
    orgA = await makeOrganization(db, { name: "甲公司" });
    orgB = await makeOrganization(db, { name: "乙公司" });
    const login = async (role: "admin" | "operator" | "viewer", orgId: string) => {
      const u = await makeUser(db, { role, orgIds: [orgId] });
      return loginAs(app, u.username, u.password);
    };
    admin = await login("admin", orgA.id);
    operator = await login("operator", orgA.id);
    viewer = await login("viewer", orgA.id);
    adminB = await login("admin", orgB.id);
  });
  afterEach(() => app.close());

  const codesOf = (orgId: string) => `/orgs/${orgId}/receipt-codes`;

  it("creates a code with totals from the rules engine, lists, filters, copies and disables it", async () => {
    const created = await operator.post(codesOf(orgA.id), codeInput({ serialNo: "POS-0001" }));
    expect(created.statusCode).toBe(201);
    const code = created.json();
    // 100.00 at 6%: 94.34 + 5.66; 50.00 at 13%: 44.25 + 5.75; −5.00 at 13%: −4.42 − 0.58.
    expect(code.totals).toEqual({ amountExcludingTax: "134.17", taxAmount: "10.83", totalAmount: "145.00" });
    expect(code.url).toMatch(/\/s\/[A-Za-z0-9_-]{24}$/);

    const detail = (await viewer.get(`${codesOf(orgA.id)}/${code.id}`)).json();
    expect(detail.lines.map((l: { kind: string }) => l.kind)).toEqual(["normal", "discounted", "discount"]);
    expect(detail).toMatchObject({ status: "active", canEdit: true, canDisable: true, drawer: "王会计" });
    expect(detail.lines[1]).toMatchObject({ quantity: "2", unitPrice: "25", unit: "盒" });

    const copy = await operator.post(codesOf(orgA.id), {
      ...codeInput({ serialNo: "POS-0002" }),
      copiedFromId: code.id,
    });
    expect(copy.statusCode).toBe(201);
    const sameSerial = await operator.post(codesOf(orgA.id), codeInput({ serialNo: "POS-0001" }));
    expect(sameSerial.statusCode).toBe(409);
    expect(sameSerial.json().error.details.fields.serialNo).toBeTruthy();

    const disabled = await operator.post(`${codesOf(orgA.id)}/${copy.json().id}/disable`);
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ status: "disabled", canEdit: false, canDisable: false });

    const list = (await viewer.get(`${codesOf(orgA.id)}?status=disabled`)).json();
    expect(list.items.map((c: { serialNo: string }) => c.serialNo)).toEqual(["POS-0002"]);
    const bySerial = (await viewer.get(`${codesOf(orgA.id)}?serialNo=0001&pageSize=1`)).json();
    expect(bySerial).toMatchObject({ total: 1, items: [{ serialNo: "POS-0001", status: "active" }] });
    const all = (await viewer.get(`${codesOf(orgA.id)}?pageSize=1&page=2`)).json();
    expect(all).toMatchObject({ total: 2, page: 2, items: [{ serialNo: "POS-0001" }] });

    const audit = (await admin.get(`/orgs/${orgA.id}/audit?action=receipt_code`)).json();
    expect(audit.items.map((a: { action: string }) => a.action).sort()).toEqual([
      "receipt_code.copy",
      "receipt_code.create",
      "receipt_code.create",
      "receipt_code.disable",
    ]);
  });

  it("edits an unused code keeping its URL, and refuses to edit or disable an invoiced one", async () => {
    const code = (await operator.post(codesOf(orgA.id), codeInput())).json();
    const edited = await operator.put(
      `${codesOf(orgA.id)}/${code.id}`,
      codeInput({ serialNo: code.serialNo, lines: [codeInput().lines[0]] }),
    );
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ url: code.url, totals: { totalAmount: "100.00" } });
    expect(edited.json().lines).toHaveLength(1);

    await app.ctx.database.db.update(receiptCodes).set({ status: "invoiced" });
    const disable = await operator.post(`${codesOf(orgA.id)}/${code.id}/disable`);
    expect(disable.statusCode).toBe(409);
    expect(disable.json().error.code).toBe("ALREADY_INVOICED");
    expect((await operator.put(`${codesOf(orgA.id)}/${code.id}`, codeInput())).statusCode).toBe(409);
  });

  it("does not let a viewer create, edit, disable, preview or print", async () => {
    const code = (await operator.post(codesOf(orgA.id), codeInput())).json();
    const attempts = [
      await viewer.post(codesOf(orgA.id), codeInput()),
      await viewer.put(`${codesOf(orgA.id)}/${code.id}`, codeInput()),
      await viewer.post(`${codesOf(orgA.id)}/${code.id}/disable`),
      await viewer.post(`${codesOf(orgA.id)}/preview`, codeInput()),
      await viewer.get(`${codesOf(orgA.id)}/${code.id}/slip.pdf`),
    ];
    for (const res of attempts) {
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("FORBIDDEN");
    }
    expect((await viewer.get(`${codesOf(orgA.id)}/${code.id}`)).json().status).toBe("active");
  });

  it("answers 404 to a user of organization B for A's codes, items and config", async () => {
    const code = (await operator.post(codesOf(orgA.id), codeInput())).json();
    const item = await admin.post(`/orgs/${orgA.id}/items`, {
      code: "LUNCH",
      name: "午餐",
      shortName: "餐饮服务",
      taxCode: "3070401000000000000",
      taxRate: "0.06",
    });
    expect(item.statusCode).toBe(201);
    const attempts = [
      await adminB.get(codesOf(orgA.id)),
      await adminB.get(`${codesOf(orgA.id)}/${code.id}`),
      await adminB.put(`${codesOf(orgA.id)}/${code.id}`, codeInput()),
      await adminB.post(`${codesOf(orgA.id)}/${code.id}/disable`),
      await adminB.get(`${codesOf(orgA.id)}/${code.id}/slip.pdf?format=58mm`),
      await adminB.post(codesOf(orgA.id), codeInput()),
      await adminB.get(`/orgs/${orgA.id}/items`),
      await adminB.put(`/orgs/${orgA.id}/items/${item.json().id}`, {
        ...(item.json() as object),
        name: "改名",
      }),
      await adminB.get(`/orgs/${orgA.id}/config`),
      await adminB.put(`/orgs/${orgA.id}/config`, {
        limit: "1.00",
        invoiceTypes: ["digital_normal"],
        defaultInvoiceType: "digital_normal",
        validDays: 1,
        overLimitPolicy: "reject",
      }),
      await adminB.get(`/orgs/${orgA.id}`),
      await adminB.get(`/orgs/${orgA.id}/audit`),
      // B's own organization path with A's code id: still not found.
      await adminB.get(`${codesOf(orgB.id)}/${code.id}`),
    ];
    for (const res of attempts) expect([res.statusCode, res.json().error?.code]).toEqual([404, "NOT_FOUND"]);
    expect((await admin.get(`${codesOf(orgA.id)}/${code.id}`)).json().status).toBe("active");
    expect((await admin.get(`/orgs/${orgA.id}/config`)).json().limit).not.toBe("1.00");
    expect((await adminB.get("/orgs")).json().map((o: { id: string }) => o.id)).toEqual([orgB.id]);
  });

  it("reports every problem at its field in one answer — shape, order rules, duplicate number — and saves nothing", async () => {
    const taken = await operator.post(codesOf(orgA.id), codeInput({ serialNo: "DUP-1" }));
    expect(taken.statusCode).toBe(201);
    const brokenLines = [
      { name: "午餐", shortName: "餐饮服务", taxCode: "123", taxRate: "0.07", amount: "abc" },
      {
        name: "牛奶",
        shortName: "乳制品",
        taxCode: "1030201000000000000",
        taxRate: "0.13",
        amount: "10.00",
      },
      { kind: "discount", amount: "-20.00" },
    ];
    // A shape problem (可选票种 empty) no longer hides the order's rules, nor the drawer.
    const res = await operator.post(
      codesOf(orgA.id),
      codeInput({ serialNo: "", drawer: "", invoiceTypes: [], lines: brokenLines }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe("VALIDATION_FAILED");
    const fields = res.json().error.details.fields;
    expect(Object.keys(fields)).toEqual(
      expect.arrayContaining([
        "serialNo",
        "invoiceTypes",
        "drawer",
        "lines[0].taxCode",
        "lines[0].taxRate",
        "lines[0].amount",
        "lines[2].amount",
      ]),
    );
    // A number in use among other problems: all of them, the number at its field.
    const again = await operator.post(
      codesOf(orgA.id),
      codeInput({ serialNo: "DUP-1", drawer: "", lines: brokenLines }),
    );
    expect(again.statusCode).toBe(422);
    const lineFields = again.json().error.details.fields;
    expect(lineFields.serialNo).toBe("该小票流水号已存在");
    expect(Object.keys(lineFields)).toEqual(
      expect.arrayContaining(["drawer", "lines[0].taxCode", "lines[0].amount", "lines[2].amount"]),
    );
    // A line of the wrong shape (a number where text goes) keeps the others' line numbers.
    const shapes = await operator.post(
      codesOf(orgA.id),
      codeInput({ lines: [{ ...brokenLines[1], unit: 5 }, brokenLines[0]] }),
    );
    expect(shapes.statusCode).toBe(422);
    expect(Object.keys(shapes.json().error.details.fields)).toEqual(
      expect.arrayContaining(["lines[0].unit", "lines[1].taxCode", "lines[1].amount"]),
    );
    // The preview answers the same problems at once, a used number aside.
    const preview = await operator.post(
      `${codesOf(orgA.id)}/preview`,
      codeInput({ serialNo: "DUP-1", drawer: "", lines: brokenLines }),
    );
    expect(preview.statusCode).toBe(422);
    expect(preview.json().error.details.fields.serialNo).toBeUndefined();
    expect(preview.json().error.details.fields.drawer).toBeTruthy();
    // The duplicate alone keeps its own answer (API.md: CONFLICT with the field).
    const alone = await operator.post(codesOf(orgA.id), codeInput({ serialNo: "DUP-1" }));
    expect(alone.statusCode).toBe(409);
    expect(alone.json().error).toMatchObject({
      code: "CONFLICT",
      details: { fields: { serialNo: "该小票流水号已存在" } },
    });
    // An edit may keep its own number.
    const edited = await operator.put(
      `${codesOf(orgA.id)}/${taken.json().id}`,
      codeInput({ serialNo: "DUP-1" }),
    );
    expect(edited.statusCode).toBe(200);
    expect((await viewer.get(codesOf(orgA.id))).json().total).toBe(1);
  });
});
