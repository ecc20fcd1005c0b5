import { Skeleton } from "antd";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, setCsrfToken, whenUnauthenticated } from "./api";
import type { Session } from "./api-types";
import { confirmLeave } from "./leave-guard";
import { LoginPage } from "./login-page";
import { SessionContext } from "./session";
import { Shell } from "./shell";

const ORG_KEY = "piaoma.console.org";

/** Loads the session; without one, the login page. */
export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [orgId, setOrgIdState] = useState<string>(() => localStorage.getItem(ORG_KEY) ?? "");

  const accept = useCallback((s: Session) => {
    setCsrfToken(s.csrfToken);
    setSession(s);
    setOrgIdState((chosen) => {
      const id = s.organizations.some((o) => o.id === chosen) ? chosen : (s.organizations[0]?.id ?? "");
      localStorage.setItem(ORG_KEY, id);
      return id;
    });
  }, []);

  const refresh = useCallback(async () => {
    try {
      accept(await api.get<Session>("/session"));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setSession(null);
      else throw e;
    }
  }, [accept]);

  useEffect(() => {
    whenUnauthenticated(() => setSession(null));
    void refresh();
  }, [refresh]);

  if (session === undefined)
    return (
      <div className="boot-skeleton" data-testid="boot-skeleton">
        <Skeleton active title paragraph={{ rows: 8 }} />
      </div>
    );
  if (session === null) return <LoginPage onLogin={accept} />;
  // Switching the organization reloads the page: unsaved work there is asked about first.
  const setOrgId = (id: string) =>
    confirmLeave(() => {
      localStorage.setItem(ORG_KEY, id);
      setOrgIdState(id);
    });
  return (
    <SessionContext.Provider value={{ session, orgId, setOrgId, refresh }}>
      <Shell onLogout={() => setSession(null)} />
    </SessionContext.Provider>
  );
}
