import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, idParams } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import {
  consoleUserCreateInput,
  consoleUserOutput,
  consoleUserUpdateInput,
  ownPasswordInput,
} from "./users.console.schema";
import { createUserForConsole, findUsersForConsole, updateUserForConsole } from "./users.console.service";
import {
  digestSettingsInput,
  digestSettingsOutput,
  getDigestSettings,
  updateDigestSettings,
} from "./users.digest";
import { changeOwnPassword } from "./users.password.service";

/** 用户 (admins, in the organizations they administer) and 修改密码 (every user, for itself). */
export function registerUserRoutes(http: HttpServer, ctx: AppContext): void {
  http.get("/users", { schema: { ...hidden, response: { 200: z.array(consoleUserOutput) } } }, async (req) =>
    findUsersForConsole(ctx, { actor: actorOf(req) }),
  );
  http.post(
    "/users",
    { schema: { ...hidden, body: consoleUserCreateInput, response: { 201: consoleUserOutput } } },
    async (req, reply) =>
      reply.status(201).send(await createUserForConsole(ctx, { actor: actorOf(req), input: req.body })),
  );
  http.put(
    "/users/:id",
    {
      schema: {
        ...hidden,
        params: idParams,
        body: consoleUserUpdateInput,
        response: { 200: consoleUserOutput },
      },
    },
    async (req) => updateUserForConsole(ctx, { actor: actorOf(req), id: req.params.id, input: req.body }),
  );
  http.put("/session/password", { schema: { ...hidden, body: ownPasswordInput } }, async (req, reply) => {
    await changeOwnPassword(ctx, {
      actor: actorOf(req),
      sessionId: req.consoleSession?.id ?? "",
      input: req.body,
    });
    return reply.status(204).send();
  });
  // 我的设置 · 每日摘要: the signed-in user's own e-mail and digest opt-out.
  http.get("/me/digest", { schema: { hide: true, response: { 200: digestSettingsOutput } } }, async (req) =>
    getDigestSettings(ctx, { actor: actorOf(req) }),
  );
  http.put(
    "/me/digest",
    { schema: { hide: true, body: digestSettingsInput, response: { 200: digestSettingsOutput } } },
    async (req) => updateDigestSettings(ctx, { actor: actorOf(req), input: req.body }),
  );
}
