import { describe, expect, it } from "vitest";
import { systemActor } from "../../context";
import type { AppError } from "../../platform/errors";
import { requireOrg, requireOrgScope, requirePermission, userActor } from "./access";

const actor = userActor({
  userId: "usr_1",
  username: "shared",
  memberships: [
    { orgId: "org_a", role: "viewer" },
    { orgId: "org_b", role: "admin" },
    { orgId: "org_c", role: "operator" },
  ],
});
const codeOf = (f: () => unknown) => {
  try {
    f();
    return "ok";
  } catch (e) {
    return (e as AppError).code;
  }
};

describe("permissions per organization", () => {
  it("narrows the actor to the organizations where its role grants the permission", () => {
    expect(requirePermission(actor, "read").orgIds).toEqual(["org_a", "org_b", "org_c"]);
    expect(requirePermission(actor, "operate").orgIds).toEqual(["org_b", "org_c"]);
    const admin = requirePermission(actor, "administer");
    expect([admin.orgIds, [...admin.roles.keys()]]).toEqual([["org_b"], ["org_b"]]);
    // Narrowed once, it cannot reach the others again.
    expect(codeOf(() => requireOrg(admin, "org_a"))).toBe("NOT_FOUND");
    const viewer = userActor({
      userId: "u",
      username: "v",
      memberships: [{ orgId: "org_a", role: "viewer" }],
    });
    expect(codeOf(() => requirePermission(viewer, "operate"))).toBe("FORBIDDEN");
    expect(codeOf(() => requirePermission(systemActor("x"), "read"))).toBe("FORBIDDEN");
  });

  it("checks the role in the organization named: 404 when not a member, 403 when the role there falls short", () => {
    expect(codeOf(() => requireOrg(actor, "org_b", "administer"))).toBe("ok");
    expect(codeOf(() => requireOrg(actor, "org_a", "administer"))).toBe("FORBIDDEN");
    expect(codeOf(() => requireOrg(actor, "org_a", "operate"))).toBe("FORBIDDEN");
    expect(codeOf(() => requireOrg(actor, "org_c", "operate"))).toBe("ok");
    expect(codeOf(() => requireOrg(actor, "org_x", "read"))).toBe("NOT_FOUND");
    expect(codeOf(() => requireOrg(actor, "constructor", "read"))).toBe("NOT_FOUND");
    expect(requireOrg(actor, "org_b", "administer").orgIds).toEqual(["org_b"]);
  });

  it("scopes views across organizations to the named one or to every active membership", () => {
    expect(requireOrgScope(actor, undefined)).toEqual(["org_a", "org_b", "org_c"]);
    expect(requireOrgScope(actor, "org_a")).toEqual(["org_a"]);
    expect(codeOf(() => requireOrgScope(actor, "org_x"))).toBe("NOT_FOUND");
  });
});
