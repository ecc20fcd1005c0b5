import type { MultipartFile } from "@fastify/multipart";
import { z } from "zod";
import type { AppContext } from "../../context";
import { cleanText, textProblemMessage } from "../../domain";
import { hidden, orgItemParams, orgParams, pageOf } from "../../platform/console-schemas";
import { AppError } from "../../platform/errors";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import {
  importOutput,
  importQuery,
  itemInput,
  itemOutput,
  itemQuery,
  taxCodeOutput,
  taxCodeQuery,
} from "./items.schema";
import { findItemsForConsole, importItems, saveItem } from "./items.service";
import { findTaxCategoriesForConsole } from "./tax-codes";

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

/** 基础资料 · 开票项, with search, CSV/Excel import and the 税收分类编码 lookup. */
export function registerItemRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/orgs/:orgId/tax-codes",
    {
      schema: {
        ...hidden,
        params: orgParams,
        querystring: taxCodeQuery,
        response: { 200: z.array(taxCodeOutput) },
      },
    },
    async (req) =>
      findTaxCategoriesForConsole({ actor: actorOf(req), orgId: req.params.orgId, q: req.query.q }),
  );
  http.get(
    "/orgs/:orgId/items",
    {
      schema: { ...hidden, params: orgParams, querystring: itemQuery, response: { 200: pageOf(itemOutput) } },
    },
    async (req) =>
      findItemsForConsole(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        q: req.query.q,
        includeInactive: req.query.includeInactive === "true",
        page: req.query.page,
        pageSize: req.query.pageSize,
      }),
  );
  http.post(
    "/orgs/:orgId/items",
    { schema: { ...hidden, params: orgParams, body: itemInput, response: { 201: itemOutput } } },
    async (req, reply) =>
      reply
        .status(201)
        .send(await saveItem(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body })),
  );
  http.put(
    "/orgs/:orgId/items/:id",
    { schema: { ...hidden, params: orgItemParams, body: itemInput, response: { 200: itemOutput } } },
    async (req) =>
      saveItem(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id, input: req.body }),
  );
  http.post(
    "/orgs/:orgId/items/import",
    { schema: { ...hidden, params: orgParams, querystring: importQuery, response: { 200: importOutput } } },
    async (req) => {
      if (!req.isMultipart()) throw AppError.validation({ file: "请上传 CSV 或 Excel 文件" });
      const file: MultipartFile | undefined = await req.file({ limits: { fileSize: MAX_IMPORT_BYTES } });
      if (!file) throw AppError.validation({ file: "请上传 CSV 或 Excel 文件" });
      // The name is kept in the audit log: it passes the text gate like any other text.
      const fileName = cleanText(file.filename);
      if (!fileName.ok) throw AppError.validation({ file: textProblemMessage(fileName.problem, "文件名") });
      const data = await file.toBuffer().catch(() => {
        throw new AppError("PAYLOAD_TOO_LARGE", "文件不能超过 5 MB");
      });
      return importItems(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        fileName: fileName.value,
        data,
        skipBadRows: req.query.skipBadRows === "true",
      });
    },
  );
}
