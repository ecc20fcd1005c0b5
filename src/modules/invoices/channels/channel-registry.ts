import net from "node:net";
import { z } from "zod";
import type { Keyring } from "../../../platform/crypto";
import type { Database } from "../../../platform/db/client";
import { AppError } from "../../../platform/errors";
import { isGlobalUnicast } from "../../../platform/ip-address";
import type { ChannelAdapter } from "./channel.js";

/**
 * The issuing channels Piaoma knows, each with its settings schema and a factory. A channel
 * registers here once (see ./channels.ts); the command line, the console and the server all read
 * this one table. Settings are validated by the channel's zod schema (a missing or bad key is an
 * error naming it), its secret keys are sealed with the master key before they are stored and are
 * never returned, and its URL keys may not point at loopback or private addresses unless the
 * deployment allows it (PIAOMA_ALLOW_PRIVATE_URLS).
 */
export interface ChannelDeps {
  database: Database;
  keyring: Keyring;
  /** PIAOMA_ALLOW_PRIVATE_URLS: channel URLs on loopback / private addresses are allowed. */
  allowPrivateUrls: boolean;
  now?: () => Date;
  /** Something unexpected but harmless a channel saw (an unknown status code): for the operator's log. */
  warn?: (message: string, detail?: Record<string, unknown>) => void;
}

/** A field of the channel's settings as the console shows it. */
export interface ChannelField {
  key: string;
  label: string;
  secret?: boolean;
  required?: boolean;
  placeholder?: string;
  help?: string;
  /** A closed list: the console shows a picker. */
  options?: ReadonlyArray<{ value: string; label: string }>;
}

export interface ChannelDefinition {
  id: string;
  /** Chinese name for people. */
  label: string;
  settingsSchema: z.ZodType<Record<string, unknown>>;
  /** Keys whose values are sealed at rest and never shown again. */
  secretKeys: readonly string[];
  /** Keys holding URLs the server will call. */
  urlKeys: readonly string[];
  fields: readonly ChannelField[];
  /**
   * The channel issues a red invoice with the lines it is given (部分红冲). Channels that only
   * reverse a blue invoice as a whole by its number leave it out: partial requests are refused.
   */
  partialRed?: boolean;
  create(deps: ChannelDeps): ChannelAdapter;
}

const definitions = new Map<string, ChannelDefinition>();

export function registerChannel(definition: ChannelDefinition): void {
  if (definitions.has(definition.id)) throw new Error(`channel ${definition.id} registered twice`);
  definitions.set(definition.id, definition);
}

export function channelDefinition(id: string): ChannelDefinition | undefined {
  return definitions.get(id);
}

export function channelDefinitions(): ChannelDefinition[] {
  return [...definitions.values()];
}

/** The channels to issue through, built from every registered definition. */
export function createChannels(deps: ChannelDeps): Map<string, ChannelAdapter> {
  return new Map(channelDefinitions().map((d) => [d.id, d.create(deps)]));
}

/** Marks a sealed value inside stored settings. */
const SEALED = "sealed:v1:";

export function isSealed(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(SEALED);
}

/**
 * Validates settings typed by a person or a script for `channelId` and seals the secrets, ready to
 * store. `previous` (stored settings) keeps a secret that was left empty or masked on an edit.
 * Throws VALIDATION_FAILED with `settings.<key>` naming every bad key.
 */
export function prepareSettings(
  channelId: string,
  input: unknown,
  options: { keyring: Keyring; allowPrivateUrls: boolean; previous?: Record<string, unknown> },
): Record<string, unknown> {
  const definition = definitions.get(channelId);
  if (!definition)
    throw AppError.validation({
      channel: `开票通道只能是：${channelDefinitions()
        .map((d) => d.id)
        .join("、")}`,
    });
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input))
    throw AppError.validation({ settings: "通道设置必须是 JSON 对象" });
  const raw = { ...(input as Record<string, unknown>) };
  // A secret left out, empty or masked on an edit keeps its stored value.
  for (const key of definition.secretKeys) {
    const value = raw[key];
    if ((value === undefined || value === "" || value === MASK) && options.previous?.[key] !== undefined)
      raw[key] = options.keyring.decrypt(String(options.previous[key]).slice(SEALED.length));
    else if (value === MASK) delete raw[key];
  }
  const parsed = definition.settingsSchema.safeParse(raw);
  if (!parsed.success) throw AppError.validation(settingsIssues(parsed.error));
  const settings = parsed.data;
  const fields: Record<string, string> = {};
  for (const key of definition.urlKeys) {
    const value = settings[key];
    if (typeof value !== "string") continue;
    const problem = privateUrlProblem(value, options.allowPrivateUrls);
    if (problem) fields[`settings.${key}`] = problem;
  }
  if (Object.keys(fields).length > 0) throw AppError.validation(fields);
  const stored: Record<string, unknown> = { ...settings };
  for (const key of definition.secretKeys) {
    const value = stored[key];
    if (typeof value === "string" && value !== "") stored[key] = SEALED + options.keyring.encrypt(value);
    else delete stored[key];
  }
  return stored;
}

function settingsIssues(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) fields[`settings.${key}`] ??= `未知的设置项 ${key}`;
      continue;
    }
    const key = issue.path.map(String).join(".");
    const message =
      issue.code === "invalid_type" && issue.input === undefined
        ? `缺少设置项 ${key}`
        : key && !issue.message.includes(key)
          ? `${key}：${issue.message}`
          : issue.message;
    fields[key ? `settings.${key}` : "settings"] ??= message;
  }
  return fields;
}

/**
 * A channel URL that names a loopback, private or reserved address (a literal IP, or localhost) is
 * refused unless allowed; host names are checked again at connect time by the guarded outbound
 * client (every address they resolve to), so a name resolving inward is refused there.
 */
export function privateUrlProblem(url: string, allowPrivate: boolean): string | null {
  if (allowPrivate) return null;
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  } catch {
    return "地址无效";
  }
  const hint = "（可由部署方设置 PIAOMA_ALLOW_PRIVATE_URLS=true 放开）";
  if (host === "localhost" || host.endsWith(".localhost")) return `不能指向本机或内网地址${hint}`;
  if (net.isIP(host) && !isGlobalUnicast(host)) return `不能指向本机或内网地址：${host}${hint}`;
  return null;
}

/** Stored settings with the secrets opened, for the adapter that needs them in clear. */
export function openSettings(
  stored: Record<string, unknown>,
  keyring: Keyring,
  secretKeys: readonly string[],
): Record<string, unknown> {
  const open: Record<string, unknown> = { ...stored };
  for (const key of secretKeys) {
    const value = open[key];
    if (isSealed(value)) open[key] = keyring.decrypt(value.slice(SEALED.length));
  }
  return open;
}

export const MASK = "******";

/** Stored settings as shown to people: each secret that is set becomes MASK, never its value. */
export function maskSettings(channelId: string, stored: Record<string, unknown>): Record<string, unknown> {
  const definition = definitions.get(channelId);
  const shown: Record<string, unknown> = { ...stored };
  for (const key of definition?.secretKeys ?? []) if (shown[key] !== undefined) shown[key] = MASK;
  // Anything still sealed (a key no longer declared secret) is hidden too.
  for (const [key, value] of Object.entries(shown)) if (isSealed(value)) shown[key] = MASK;
  return shown;
}

/** The settings schema of the built-in sandbox (its test switches). */
export const sandboxSettings = z
  .object({
    mode: z
      .enum(["online", "offline", "reject"], { error: "mode 只能是 online、offline 或 reject" })
      .optional(),
    message: z.string().max(200).optional(),
    delayMs: z.number().int().min(0).max(30_000).optional(),
    /**
     * 红字确认单: `required` — every red invoice waits for the buyer's confirmation (confirmed or
     * refused by hand: the console's sandbox action, `piaoma sandbox:confirm`); `auto` or empty —
     * 无需确认, issued at once.
     */
    redConfirmation: z
      .enum(["", "auto", "required"], { error: "redConfirmation 只能是 auto 或 required" })
      .optional(),
  })
  .strict();
