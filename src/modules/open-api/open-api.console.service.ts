import type { Actor, AppContext } from "../../context";
import { AppError } from "../../platform/errors";
import { checkMerchantUrl } from "../../platform/outbound-http";
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
import {
  findWebhookEvents,
  redeliverWebhookEvent,
  sendTestWebhook,
  type WebhookEventView,
} from "../webhooks/webhooks.service";

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
 * Saves the two URLs. Unless private URLs are allowed, each must reach only global unicast addresses:
 * a literal IP is judged as it is, a hostname by every address it resolves to now (and again at each
 * call, outbound-http.ts); a refusal is a field error and nothing is saved.
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
    const problem = value
      ? await checkMerchantUrl(value, { allowPrivate: ctx.config.allowPrivateUrls })
      : null;
    if (problem) fields[key] = problem;
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

/**
 * 重新投递 (admins): the event once more to the webhookUrl as it is now, recorded as a new attempt
 * and in 操作日志. Without a webhookUrl there is nowhere to deliver: a field error, nothing changes.
 */
export async function redeliverWebhookEventForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string; eventId: string },
): Promise<{ eventId: string; attempt: number }> {
  const settings = await getOpenApiSettings(ctx, options);
  if (!settings.webhookUrl) throw AppError.validation({ webhookUrl: "请先填写 webhookUrl" });
  return ctx.database.db.transaction(async (tx) => {
    const queued = await redeliverWebhookEvent(ctx, tx, options);
    await recordAudit(tx, {
      actor: options.actor,
      orgId: options.orgId,
      action: "webhook.redeliver",
      entityType: "webhook_event",
      entityId: options.eventId,
      details: { attempt: queued.attempt },
    });
    return queued;
  });
}
