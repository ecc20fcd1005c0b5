import net from "node:net";
import type { Actor, AppContext } from "../../platform/context";
import { AppError } from "../../platform/errors";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import {
  type CredentialsListItem,
  createCredentials,
  findCredentials,
  type IssuedCredentials,
  revokeCredentials,
  rotateCredentials,
} from "../credentials/credentials.service";
import {
  findOrganizationByIdOrTaxId,
  updateOrganizationRow,
} from "../organizations/organizations.repository";
import { findWebhookEvents, sendTestWebhook, type WebhookEventView } from "../webhooks/webhooks.service";
import { isInternalAddress } from "./outbound-http";

/**
 * The console's side of the open API (admins only): app credentials, the orderQueryUrl and
 * webhookUrl settings with a test button, and every webhook attempt.
 */

type ConsoleContext = Pick<AppContext, "database" | "keyring" | "config" | "jobs" | "log">;

export interface OpenApiSettings {
  orderQueryUrl: string | null;
  webhookUrl: string | null;
  allowPrivateUrls: boolean;
}

export async function findCredentialsForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string },
): Promise<CredentialsListItem[]> {
  requireOrg(options.actor, options.orgId, "administer");
  return findCredentials(ctx, options.orgId);
}

export async function createCredentialsForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string; label?: string },
): Promise<IssuedCredentials> {
  requireOrg(options.actor, options.orgId, "administer");
  return createCredentials(ctx, { actor: options.actor, org: options.orgId, label: options.label });
}

export async function revokeCredentialsForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string; appKey: string },
): Promise<void> {
  requireOrg(options.actor, options.orgId, "administer");
  await revokeCredentials(ctx, options);
}

export async function rotateCredentialsForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string; appKey: string; revokeOld?: boolean },
): Promise<IssuedCredentials> {
  requireOrg(options.actor, options.orgId, "administer");
  return rotateCredentials(ctx, options);
}

export async function getOpenApiSettings(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string },
): Promise<OpenApiSettings> {
  requireOrg(options.actor, options.orgId, "administer");
  const org = await findOrganizationByIdOrTaxId(ctx.database.db, options.orgId);
  if (!org) throw new AppError("NOT_FOUND", "组织不存在或无权访问");
  return {
    orderQueryUrl: org.orderQueryUrl,
    webhookUrl: org.webhookUrl,
    allowPrivateUrls: ctx.config.allowPrivateUrls,
  };
}

/**
 * Saves the two URLs. Obvious internal targets (localhost, literal private IPs) are refused here
 * with a field error unless allowed; names resolving to internal addresses are refused when called.
 */
export async function updateOpenApiSettings(
  ctx: ConsoleContext,
  options: {
    actor: Actor;
    orgId: string;
    input: { orderQueryUrl: string | null; webhookUrl: string | null };
  },
): Promise<OpenApiSettings> {
  requireOrg(options.actor, options.orgId, "administer");
  const fields: Record<string, string> = {};
  for (const key of ["orderQueryUrl", "webhookUrl"] as const) {
    const value = options.input[key];
    if (value && !ctx.config.allowPrivateUrls && isInternalHost(new URL(value).hostname)) {
      fields[key] = "不能指向本机或内网地址（可由部署方设置 PIAOMA_ALLOW_PRIVATE_URLS=true 放开）";
    }
  }
  if (Object.keys(fields).length > 0) throw AppError.validation(fields);
  await ctx.database.db.transaction(async (tx) => {
    await updateOrganizationRow(tx, options.orgId, {
      orderQueryUrl: options.input.orderQueryUrl || null,
      webhookUrl: options.input.webhookUrl || null,
    });
    await recordAudit(tx, {
      actor: options.actor,
      orgId: options.orgId,
      action: "organization.open_api_settings",
      entityType: "organization",
      entityId: options.orgId,
      details: { ...options.input },
    });
  });
  return getOpenApiSettings(ctx, options);
}

function isInternalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return net.isIP(host) !== 0 && isInternalAddress(host);
}

/** The "send test" button: a signed `webhook.test` event, delivered and recorded like any other. */
export async function sendTestWebhookForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string },
): Promise<{ eventId: string }> {
  const settings = await getOpenApiSettings(ctx, options);
  if (!settings.webhookUrl) throw AppError.validation({ webhookUrl: "请先填写 webhookUrl" });
  return { eventId: await sendTestWebhook(ctx, options.orgId) };
}

export async function findWebhookEventsForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string },
): Promise<WebhookEventView[]> {
  requireOrg(options.actor, options.orgId, "administer");
  return findWebhookEvents(ctx, options.orgId);
}
