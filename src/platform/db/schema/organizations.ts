import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, decimal, money, rate, tstz, updatedAt } from "./common";

/** The seller (销售方). Several per installation. */
export const organizations = pgTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    taxId: text("tax_id").notNull(),
    address: text("address").notNull().default(""),
    phone: text("phone").notNull().default(""),
    bankName: text("bank_name").notNull().default(""),
    bankAccount: text("bank_account").notNull().default(""),
    /** 3.1.02: where Piaoma asks the merchant for an order's lines. */
    orderQueryUrl: text("order_query_url"),
    /** Where invoice.* events are posted. */
    webhookUrl: text("webhook_url"),
    /** The merchant's own e-mail address: the Reply-To of the invoice e-mails sent for it. */
    contactEmail: text("contact_email"),
    isDemo: boolean("is_demo").notNull().default(false),
    /** Whether its invoices appear in 我的发票 (/my) for the contacts they were delivered to. */
    myInvoicesListed: boolean("my_invoices_listed").notNull().default(true),
    /** How long a 门店码 submission waits for a sale before it expires (hours, 1–720). */
    pendingSubmissionHours: integer("pending_submission_hours").notNull().default(72),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("organizations_tax_id_key").on(t.taxId)],
);

/** 电子税局账号: the account invoices are issued through, bound to an issuing channel. */
export const taxBureauAccounts = pgTable(
  "tax_bureau_accounts",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    /** Issuing channel id (`sandbox` built in; real channels are adapters). */
    channel: text("channel").notNull().default("sandbox"),
    /** online | reauth | offline */
    status: text("status").notNull().default("online"),
    /** Channel-specific settings (the sandbox reads fail/slow/offline switches from here). */
    settings: jsonb("settings").notNull().default(sql`'{}'::jsonb`),
    /**
     * What the channel last said is wrong with the account (ChannelAccountProblem: bad_credentials,
     * token_quota, logged_out, identity_verification_due, misconfigured), its code and words, and
     * what to do — null while the account is fine. Its invoices wait (queued) while it is set.
     */
    statusProblem: text("status_problem"),
    statusCode: text("status_code"),
    statusMessage: text("status_message"),
    statusAction: text("status_action"),
    statusChangedAt: tstz("status_changed_at"),
    /** When the account check (tax-accounts.sweep.ts) next asks the channel whether it is back. */
    nextAttemptAt: tstz("next_attempt_at"),
    /** 授信额度 available (tax-exclusive) as the channel last reported it; null when it reports none. */
    creditAvailable: money("credit_available"),
    creditReportedAt: tstz("credit_reported_at"),
    /** When the account check last asked a healthy account's channel (the credit check's lease). */
    creditCheckedAt: tstz("credit_checked_at"),
    /**
     * Token / credential refusals in a row (bad_credentials, token_quota): the account check waits
     * `accountCheckSeconds` × 2^(n−1), at most `accountCheckMaxSeconds`, before asking again.
     */
    checkFailures: integer("check_failures").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("tax_bureau_accounts_org_name_key").on(t.orgId, t.name),
    // The account check: accounts with a problem, due for a look.
    index("tax_bureau_accounts_next_attempt_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.statusProblem} is not null`),
  ],
);

/** 设备: a POS terminal registered to an organization. */
export const devices = pgTable(
  "devices",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    deviceNo: text("device_no").notNull(),
    name: text("name").notNull().default(""),
    location: text("location").notNull().default(""),
    isActive: boolean("is_active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("devices_org_device_no_key").on(t.orgId, t.deviceNo)],
);

/** 开票项: the goods master. `code` is what merchant systems send as `itemCode`. */
export const items = pgTable(
  "items",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    code: text("code").notNull(),
    name: text("name").notNull(),
    shortName: text("short_name").notNull(),
    /** 19-digit 税收分类编码. */
    taxCode: text("tax_code").notNull(),
    taxRate: rate("tax_rate").notNull(),
    /** exempt | not_taxable | ordinary_zero | export, only with a 0 rate. */
    zeroRateKind: text("zero_rate_kind"),
    spec: text("spec").notNull().default(""),
    unit: text("unit").notNull().default(""),
    unitPrice: decimal("unit_price"),
    priceIncludesTax: boolean("price_includes_tax").notNull().default(true),
    isActive: boolean("is_active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("items_org_code_key").on(t.orgId, t.code),
    index("items_org_name_idx").on(t.orgId, t.name),
  ],
);

/** 小票码配置 (F17025): one per organization. */
export const receiptCodeConfigs = pgTable("receipt_code_configs", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => organizations.id),
  /** 限额 exactly as the operator typed it (≤ 20 bytes) and its value. */
  limitText: text("limit_text").notNull(),
  limitAmount: money("limit_amount").notNull(),
  invoiceTypes: text("invoice_types").array().notNull(),
  defaultInvoiceType: text("default_invoice_type").notNull(),
  validDays: integer("valid_days").notNull().default(30),
  /** reject | split */
  overLimitPolicy: text("over_limit_policy").notNull().default("reject"),
  /** The buyer type the consumer page starts with: individual | enterprise. */
  defaultBuyerType: text("default_buyer_type").notNull().default("enterprise"),
  defaultDrawer: text("default_drawer").notNull().default(""),
  defaultPayee: text("default_payee").notNull().default(""),
  defaultReviewer: text("default_reviewer").notNull().default(""),
  defaultTaxAccountId: text("default_tax_account_id").references(() => taxBureauAccounts.id),
  /**
   * 换开: a consumer's request to correct an invoice is approved without an operator when it comes
   * within this many days of the invoice's issue (null: every request waits for an operator).
   */
  correctionAutoApproveDays: integer("correction_auto_approve_days"),
  /** 合并开票: the consumer may add more receipts of this organization to one submission. */
  mergeEnabled: boolean("merge_enabled").notNull().default(false),
  /** At most this many receipts (the page's own included) in one merged submission. */
  mergeMaxReceipts: integer("merge_max_receipts").notNull().default(5),
  updatedAt: updatedAt(),
});

/**
 * Console users, password hashed (scrypt). What a user may do is not here but in its memberships
 * (`user_organizations`): a user of two organizations has a role in each, set by each one's admins.
 */
export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    username: text("username").notNull(),
    displayName: text("display_name").notNull().default(""),
    passwordHash: text("password_hash").notNull(),
    failedLogins: integer("failed_logins").notNull().default(0),
    lockedUntil: tstz("locked_until"),
    lastLoginAt: tstz("last_login_at"),
    /** Where the daily digest (modules/digest) goes; none without it. */
    email: text("email"),
    /** The user receives the daily digest of the organizations it administers (opt-out). */
    dailyDigest: boolean("daily_digest").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_username_key").on(sql`lower(${t.username})`)],
);

/**
 * A user's membership of an organization, with its role there. A disabled membership hides the
 * organization from the user; a user without an active membership cannot log in.
 */
export const userOrganizations = pgTable(
  "user_organizations",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    role: text("role").$type<"admin" | "operator" | "viewer">().notNull(),
    isActive: boolean("is_active").notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.userId, t.orgId] })],
);

/** Open-API credentials. The secret is needed in clear for HMAC, so it is encrypted, not hashed. */
export const appCredentials = pgTable(
  "app_credentials",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    appKey: text("app_key").notNull(),
    /** AES-256-GCM under the master key: base64(iv | tag | ciphertext). */
    secretCiphertext: text("secret_ciphertext").notNull(),
    label: text("label").notNull().default(""),
    /** active | revoked */
    status: text("status").notNull().default("active"),
    createdAt: createdAt(),
    revokedAt: tstz("revoked_at"),
    lastUsedAt: tstz("last_used_at"),
  },
  (t) => [
    uniqueIndex("app_credentials_app_key_key").on(t.appKey),
    index("app_credentials_org_idx").on(t.orgId),
  ],
);

/** Who did what: console users, merchant apps, consumers, the system. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").references(() => organizations.id),
    /** user | app | consumer | system */
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id"),
    details: jsonb("details").notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [index("audit_log_org_created_idx").on(t.orgId, t.createdAt)],
);

/**
 * An organization's third-party services for the consumer page (issue 17): its 公众号 for WeChat's
 * saved invoice titles (JS-SDK `chooseInvoiceTitle`) and the company-registry service its 抬头 lookup
 * asks. Secrets are sealed with the master key (src/platform/crypto.ts) and never shown again.
 */
export const orgIntegrations = pgTable("org_integrations", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => organizations.id),
  wechatAppId: text("wechat_app_id"),
  /** AES-256-GCM under the master key: base64(iv | tag | ciphertext). */
  wechatSecretCiphertext: text("wechat_secret_ciphertext"),
  /** A TitleProvider id (modules/scan/titles), or null: no lookup at all. */
  titleProvider: text("title_provider"),
  /** The provider's API key, sealed like the WeChat secret. */
  titleProviderKeyCiphertext: text("title_provider_key_ciphertext"),
  /**
   * WeChat 卡包 (CHANNELS.md §5, 自建平台模式 with the 公众号 above and its 电子发票 plugin): the
   * 开票平台 identifier from /card/invoice/seturl and the invoice card template from createcard.
   * Both set: the consumer page offers 加入微信卡包 inside WeChat.
   */
  wechatInvoiceSPappid: text("wechat_invoice_s_pappid"),
  wechatInvoiceCardId: text("wechat_invoice_card_id"),
  /** 短信签名 registered with the installation's SMS provider (阿里云 / 腾讯云), without 【】. */
  smsSignName: text("sms_sign_name"),
  /** The provider's template for the invoice message (阿里云 SMS_…, 腾讯云 a numeric id). */
  smsTemplateCode: text("sms_template_code"),
  updatedAt: updatedAt(),
});

/**
 * One invoice's way into a consumer's WeChat 卡包: the order authorised through getauthurl
 * (`order_id`, unique), then the PDF uploaded (setpdf → `s_media_id`) and the card inserted.
 * status: authorizing | inserted | failed (no row: not added).
 */
export const wechatInvoiceCards = pgTable(
  "wechat_invoice_cards",
  {
    id: text("id").primaryKey(),
    invoiceId: text("invoice_id").notNull(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    orderId: text("order_id").notNull(),
    status: text("status").notNull(),
    authUrl: text("auth_url"),
    sMediaId: text("s_media_id"),
    /** What insert answered: the card's code and the user's openid. */
    cardCode: text("card_code"),
    openid: text("openid"),
    /** Why the last step failed (WeChat's errcode and message). */
    error: text("error"),
    insertedAt: tstz("inserted_at"),
    /** The card template the card was inserted with (updatestatus names it); null for cards before 0032. */
    cardId: text("card_id"),
    /**
     * 红冲 (invoice-card.ts markCardsForVoid): the first issued red invoice of this card's blue
     * invoice, set in the transaction that saves it. With status `voiding` the card-void sweep calls
     * updatestatus (INVOICE_REIMBURSE_CANCEL) when `next_attempt_at` is due, with backoff, until
     * WeChat says it is done (`voided`, `voided_at`).
     */
    voidRedInvoiceId: text("void_red_invoice_id"),
    voidAttempts: integer("void_attempts").notNull().default(0),
    /** A void call was sent and no answer came back (it may have voided the card). */
    voidUnanswered: boolean("void_unanswered").notNull().default(false),
    voidedAt: tstz("voided_at"),
    nextAttemptAt: tstz("next_attempt_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("wechat_invoice_cards_invoice_key").on(t.invoiceId),
    uniqueIndex("wechat_invoice_cards_order_key").on(t.orderId),
    index("wechat_invoice_cards_void_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'voiding'`),
  ],
);

/**
 * WeChat's access token and jsapi_ticket per 公众号 (both live 7200 s and are rate-limited by WeChat:
 * fetched once and kept until near expiry, shared by every process). Keyed by a hash of appId and
 * secret, so a wrong secret for someone else's appId never reaches their ticket. Sealed.
 */
export const wechatTokens = pgTable("wechat_tokens", {
  key: text("key").primaryKey(),
  accessTokenCiphertext: text("access_token_ciphertext").notNull(),
  accessTokenExpiresAt: tstz("access_token_expires_at").notNull(),
  ticketCiphertext: text("ticket_ciphertext"),
  ticketExpiresAt: tstz("ticket_expires_at"),
  updatedAt: updatedAt(),
});
