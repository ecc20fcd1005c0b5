import { z } from "zod";

/**
 * What the console's 开放接口 routes answer (open-api.console.routes.ts). They are the serializer's
 * whitelist, and the console page reads its types from here (web/admin/src/api-types.ts).
 */

/** Answer of create and rotate: the only time the secret leaves the server. */
export const issuedCredentialOutput = z.object({
  appKey: z.string(),
  appSecret: z.string(),
  orgId: z.string(),
});

/** One app key as the list shows it; never its secret. */
export const credentialOutput = z.object({
  appKey: z.string(),
  label: z.string(),
  status: z.enum(["active", "revoked"]),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

export const openApiSettingsOutput = z.object({
  orderQueryUrl: z.string().nullable(),
  webhookUrl: z.string().nullable(),
  /** PIAOMA_ALLOW_PRIVATE_URLS: the page then says that private addresses are accepted. */
  allowPrivateUrls: z.boolean(),
});

export const webhookTestOutput = z.object({ eventId: z.string() });

/** 重新投递: the event and the number of the attempt queued for it. */
export const webhookRedeliverOutput = z.object({ eventId: z.string(), attempt: z.number() });

export const webhookEventOutput = z.object({
  id: z.string(),
  type: z.string(),
  invoiceId: z.string().nullable(),
  /** 发票号码 of the invoice the event is about, once it has one. */
  invoiceNumber: z.string().nullable(),
  /** pending, delivered or failed (webhook_events.status). */
  status: z.string(),
  attempts: z.array(
    z.object({
      attempt: z.number(),
      statusCode: z.number().nullable(),
      error: z.string().nullable(),
      durationMs: z.number(),
      at: z.string(),
    }),
  ),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
});
