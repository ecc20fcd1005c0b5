import type { AppContext } from "../../context";
import { hidden } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import { statsQuery, statsResponse } from "./stats.schema";
import { getStatistics } from "./stats.service";

/** 统计分析: the dashboard's numbers, for one organization or all the user may see. */
export function registerStatsRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/stats",
    { schema: { ...hidden, querystring: statsQuery, response: { 200: statsResponse } } },
    async (req, reply) => {
      const stats = await getStatistics(ctx, { actor: actorOf(req), query: req.query });
      const timing = Object.entries(stats.timings)
        .map(([name, ms]) => `${name};dur=${ms}`)
        .join(", ");
      return reply.header("server-timing", timing).send(stats);
    },
  );
}
