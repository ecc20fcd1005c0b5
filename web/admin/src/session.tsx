import { createContext, useContext } from "react";
import type { Role, Session } from "./api";

/** What every page needs: who is logged in, which organization is chosen, what the role allows. */
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

export function useCan(): (permission: keyof typeof PERMISSIONS) => boolean {
  const { session } = useConsole();
  return (permission) => PERMISSIONS[permission].includes(session.user.role);
}
