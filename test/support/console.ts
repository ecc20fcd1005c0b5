import { and, eq } from "drizzle-orm";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { systemActor } from "../../src/context";
import type { CreateUserInput, UserRole } from "../../src/modules/users/users.schema";
import { createUser } from "../../src/modules/users/users.service";
import type { Database } from "../../src/platform/db/client";
import { userOrganizations } from "../../src/platform/db/schema";
import type { TestApp } from "./app";

let userCounter = 0;

/**
 * A console user with a unique name; password "password-123" unless overridden. It has `role`
 * (admin unless given) in each of `orgIds`, except where `roleIn` names another role for an
 * organization.
 */
export async function makeUser(
  database: Database,
  overrides: Partial<CreateUserInput> & { orgIds: string[]; roleIn?: Record<string, UserRole> },
): Promise<{ username: string; password: string; id: string }> {
  userCounter += 1;
  const { roleIn, ...input } = overrides;
  const username = input.username ?? `user${Date.now() % 100000}_${userCounter}`;
  const password = input.password ?? "password-123";
  const user = await createUser(
    { database },
    { actor: systemActor("test"), input: { role: "admin", ...input, username, password } },
  );
  for (const [orgId, role] of Object.entries(roleIn ?? {}))
    await database.db
      .update(userOrganizations)
      .set({ role })
      .where(and(eq(userOrganizations.userId, user.id), eq(userOrganizations.orgId, orgId)));
  return { username, password, id: user.id };
}

export interface ConsoleClient {
  csrfToken: string;
  cookie: string;
  request(method: InjectOptions["method"], url: string, body?: unknown): Promise<LightMyRequestResponse>;
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, body?: unknown): Promise<LightMyRequestResponse>;
  put(url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

/** Logs in through the API and returns a client that sends the session cookie and the CSRF header. */
export async function loginAs(app: TestApp, username: string, password: string): Promise<ConsoleClient> {
  const res = await app.http.inject({
    method: "POST",
    url: "/api/console/session",
    payload: { username, password },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const setCookie = res.cookies.find((c) => c.name === "piaoma_session");
  if (!setCookie) throw new Error("no session cookie");
  const cookie = `piaoma_session=${setCookie.value}`;
  const csrfToken = res.json().csrfToken as string;
  const request = (method: InjectOptions["method"], url: string, body?: unknown) =>
    app.http.inject({
      method,
      url: `/api/console${url}`,
      headers: { cookie, "x-csrf-token": csrfToken },
      ...(body !== undefined ? { payload: body as InjectOptions["payload"] } : {}),
    });
  return {
    csrfToken,
    cookie,
    request,
    get: (url) => request("GET", url),
    post: (url, body) => request("POST", url, body ?? {}),
    put: (url, body) => request("PUT", url, body),
  };
}

/** Uploads one file to a console route (`url` below /api/console) as a browser's form does. */
export function uploadAs(
  app: TestApp,
  client: ConsoleClient,
  url: string,
  fileName: string,
  content: Buffer,
): Promise<LightMyRequestResponse> {
  const boundary = "----piaoma-test-boundary";
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return app.http.inject({
    method: "POST",
    url: `/api/console${url}`,
    headers: {
      cookie: client.cookie,
      "x-csrf-token": client.csrfToken,
      "content-type": `multipart/form-data; boundary=${boundary}`,
    },
    payload,
  });
}
