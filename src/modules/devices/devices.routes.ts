import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgItemParams, orgParams } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import { deviceInput, deviceOutput } from "./devices.schema";
import { findDevicesForConsole, saveDevice } from "./devices.service";

/** 基础资料 · 设备. */
export function registerDeviceRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/orgs/:orgId/devices",
    { schema: { ...hidden, params: orgParams, response: { 200: z.array(deviceOutput) } } },
    async (req) => findDevicesForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.post(
    "/orgs/:orgId/devices",
    { schema: { ...hidden, params: orgParams, body: deviceInput, response: { 201: deviceOutput } } },
    async (req, reply) =>
      reply
        .status(201)
        .send(await saveDevice(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body })),
  );
  http.put(
    "/orgs/:orgId/devices/:id",
    { schema: { ...hidden, params: orgItemParams, body: deviceInput, response: { 200: deviceOutput } } },
    async (req) =>
      saveDevice(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id, input: req.body }),
  );
}
