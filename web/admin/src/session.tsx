import { createContext, useContext } from "react";
import type { Role, Session } from "./api-types";

/** What every page needs: who is logged in, which organization is chosen, what its role there allows. */
export interface ConsoleContext {
  session: Session;
  orgId: string;
  setOrgId(id: string): void;
  /** Reloads the session (after an organization was added). */
  refresh(): Promise<void>;
}

export const SessionContext = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error("useConsole outside the console shell");
  return ctx;
}

// Mirrors src/modules/auth/access.ts: the UI hides what the server would refuse anyway.
const PERMISSIONS: Record<"read" | "operate" | "administer", readonly Role[]> = {
  read: ["admin", "operator", "viewer"],
  operate: ["admin", "operator"],
  administer: ["admin"],
};

/** The user's role in the current organization (a user of several may hold a different one in each). */
export function useRole(): Role | undefined {
  const { session, orgId } = useConsole();
  return session.organizations.find((o) => o.id === orgId)?.role;
}

/** Whether the role in the current organization grants the permission. */
export function useCan(): (permission: keyof typeof PERMISSIONS) => boolean {
  const role = useRole();
  return (permission) => role !== undefined && PERMISSIONS[permission].includes(role);
}
