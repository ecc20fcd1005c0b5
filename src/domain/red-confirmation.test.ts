import { describe, expect, it } from "vitest";
import {
  allowsRedIssue,
  canMoveRedConfirmation,
  RED_CONFIRMATION_STATUSES,
  type RedConfirmationStatus,
  redConfirmationAfter,
  redConfirmationDeadline,
} from "./red-confirmation";

describe("红字确认单 state machine", () => {
  const allowed: Array<[RedConfirmationStatus, RedConfirmationStatus]> = [
    ["requested", "no_confirmation_needed"],
    ["requested", "pending"],
    ["requested", "confirmed"],
    ["requested", "refused"],
    ["requested", "expired"],
    ["requested", "failed"],
    ["pending", "confirmed"],
    ["pending", "refused"],
    ["pending", "expired"],
  ];

  it("allows exactly the listed moves; every other state is final", () => {
    for (const from of RED_CONFIRMATION_STATUSES) {
      for (const to of RED_CONFIRMATION_STATUSES) {
        const expected = allowed.some(([f, t]) => f === from && t === to);
        expect(canMoveRedConfirmation(from, to), `${from} → ${to}`).toBe(expected);
      }
    }
  });

  it.each<
    [
      RedConfirmationStatus,
      "issued" | "confirmation_pending" | "rejected",
      RedConfirmationStatus | undefined,
      RedConfirmationStatus,
    ]
  >([
    // Inferred from the outcome alone.
    ["requested", "issued", undefined, "no_confirmation_needed"],
    ["requested", "confirmation_pending", undefined, "pending"],
    ["requested", "rejected", undefined, "failed"],
    ["pending", "confirmation_pending", undefined, "pending"],
    ["pending", "issued", undefined, "confirmed"],
    ["pending", "rejected", undefined, "refused"],
    // The channel names the state.
    ["requested", "issued", "confirmed", "confirmed"],
    ["pending", "rejected", "expired", "expired"],
    ["requested", "rejected", "refused", "refused"],
    // Final states stay, whatever is reported later.
    ["expired", "issued", undefined, "expired"],
    ["refused", "confirmation_pending", "pending", "refused"],
    ["no_confirmation_needed", "issued", undefined, "no_confirmation_needed"],
    ["confirmed", "rejected", undefined, "confirmed"],
    // A move the machine does not know is ignored.
    ["pending", "issued", "no_confirmation_needed", "pending"],
  ])("%s + %s (reported %s) → %s", (from, outcome, reported, to) => {
    expect(redConfirmationAfter(from, outcome, reported)).toBe(to);
  });

  it("lets the red invoice be issued only from 无需确认 or 已确认", () => {
    expect(RED_CONFIRMATION_STATUSES.filter(allowsRedIssue)).toEqual(["no_confirmation_needed", "confirmed"]);
  });

  it("expires 72 hours after it became pending", () => {
    expect(redConfirmationDeadline(new Date("2026-12-01T08:00:00Z")).toISOString()).toBe(
      "2026-12-04T08:00:00.000Z",
    );
  });
});
