import cookie from "@fastify/cookie";
import multipart from "@fastify/multipart";
import type { AppContext } from "./context";
import { registerAuditRoutes } from "./modules/audit/audit.console";
import { registerLoginRoute, registerSessionRoutes } from "./modules/auth/auth.routes";
import { consoleGuard } from "./modules/auth/console-guard";
import { registerConfigRoutes } from "./modules/configs/configs.routes";
import { registerCorrectionConsoleRoutes } from "./modules/corrections/corrections.routes";
import { registerDeviceRoutes } from "./modules/devices/devices.routes";
import { registerExceptionRoutes } from "./modules/exceptions/exceptions.routes";
import { registerInvoiceConsoleRoutes } from "./modules/invoices/invoices.console.routes";
import { registerReviewRoutes } from "./modules/invoices/review.routes";
import { MAX_IMPORT_BYTES, registerItemRoutes } from "./modules/items/items.routes";
import { registerOpenApiConsoleRoutes } from "./modules/open-api/open-api.console.routes";
import { registerOrganizationRoutes } from "./modules/organizations/organizations.routes";
import { registerReceiptCodeConsoleRoutes } from "./modules/receipt-codes/receipt-codes.console.routes";
import { registerRefundConsoleRoutes } from "./modules/refunds/refunds.routes";
import { registerStatsRoutes } from "./modules/stats/stats.routes";
import { registerStoreCodeConsoleRoutes } from "./modules/store-codes/store-codes.routes";
import { registerTaxAccountRoutes } from "./modules/tax-accounts/tax-accounts.routes";
import { registerUserRoutes } from "./modules/users/users.routes";
import { registerWechatCardSetupRoutes } from "./modules/wechat/card-setup";
import { type HttpServer, registerScope } from "./platform/http";

/**
 * The console's own API under /api/console (not part of the public contract, hidden from /docs).
 * Login is open; everything else passes the guard (session cookie, CSRF header on writes), and the
 * services check role and organization.
 */
export async function registerConsoleRoutes(http: HttpServer, ctx: AppContext): Promise<void> {
  await registerScope(http, { prefix: "/api/console" }, async (api) => {
    await api.register(cookie);
    await api.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10 } });
    registerLoginRoute(api, ctx);
    await registerScope(api, {}, (g) => {
      g.addHook("onRequest", consoleGuard(ctx));
      registerSessionRoutes(g, ctx);
      registerOrganizationRoutes(g, ctx);
      registerWechatCardSetupRoutes(g, ctx);
      registerConfigRoutes(g, ctx);
      registerTaxAccountRoutes(g, ctx);
      registerDeviceRoutes(g, ctx);
      registerItemRoutes(g, ctx);
      registerReceiptCodeConsoleRoutes(g, ctx);
      registerStoreCodeConsoleRoutes(g, ctx);
      registerUserRoutes(g, ctx);
      registerAuditRoutes(g, ctx);
      registerOpenApiConsoleRoutes(g, ctx);
      registerInvoiceConsoleRoutes(g, ctx);
      registerRefundConsoleRoutes(g, ctx);
      registerCorrectionConsoleRoutes(g, ctx);
      registerReviewRoutes(g, ctx);
      registerExceptionRoutes(g, ctx);
      registerStatsRoutes(g, ctx);
    });
  });
}
