/**
 * The console's client for /api/console: JSON in and out, the session cookie sent by the browser,
 * and the session's CSRF token in a header on every write. Errors arrive as the API.md body and are
 * thrown as ApiError, whose `fields` the forms show at their fields.
 */

let csrfToken = "";

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
    /** The error body's whole `details` (an import's `rowErrors`, say). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Called when any request finds the session gone, so the app can show the login page. */
let onUnauthenticated: () => void = () => {};
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { "x-csrf-token": csrfToken };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(`/api/console${path}`, {
    method,
    headers,
    body: payload,
    credentials: "same-origin",
  });
  if (res.ok) return res;
  let error: {
    code?: string;
    message?: string;
    details?: { fields?: Record<string, string> } & Record<string, unknown>;
  } = {};
  try {
    error = ((await res.json()) as { error: typeof error }).error ?? {};
  } catch {
    // not JSON: a proxy error page
  }
  if (res.status === 401 && path !== "/session") onUnauthenticated();
  throw new ApiError(
    res.status,
    error.code ?? "HTTP_ERROR",
    error.message ?? `请求失败（${res.status}）`,
    error.details?.fields ?? {},
    error.details ?? {},
  );
}

export const api = {
  async get<T>(path: string): Promise<T> {
    return (await send("GET", path)).json() as Promise<T>;
  },
  async post<T>(path: string, body?: unknown): Promise<T> {
    const res = await send("POST", path, body ?? {});
    return (res.status === 204 ? undefined : res.json()) as Promise<T>;
  },
  async put<T>(path: string, body: unknown): Promise<T> {
    const res = await send("PUT", path, body);
    return (res.status === 204 ? undefined : res.json()) as Promise<T>;
  },
  async delete(path: string): Promise<void> {
    await send("DELETE", path);
  },
  /** A POST whose answer is a file (the preview PDF). */
  async postForBlob(path: string, body: unknown): Promise<Blob> {
    return (await send("POST", path, body)).blob();
  },
};

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
