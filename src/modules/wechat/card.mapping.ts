/**
 * What the 卡包 code (invoice-card.ts) and the WeChat stand-in know about WeChat's 电子发票 card
 * answers, in one place. Entries marked [G] are guesses (no public source states them; CHANNELS.md
 * §5.3 lists what is known): the first real 公众号 corrects them HERE and nowhere else. Unmarked
 * entries are from the official docs (`…/api/invoice/platform/api_invoicekpupdatainvoicestatus`,
 * 发票状态一览表) or CHANNELS.md §5.3.
 */
export const WECHAT_CARD = {
  /** insert: this invoice number (or order) was inserted already (CHANNELS.md §5.3). */
  alreadyInserted: 72042,
  /** Invalid params (CHANNELS.md §5.3). */
  invalidParams: 72031,
  /** Body not JSON / multipart field not `pdf`. */
  dataFormatError: 47001,
  /**
   * [G] updatestatus on a card whose state no longer allows the change: a card voided already (a
   * second INVOICE_REIMBURSE_CANCEL), or one the consumer's employer locked / reimbursed. Its doc
   * lists only 40001; "72024 invoice status error" is the 电子发票 code list's name for a card in the
   * wrong state. Read as "voided already" only when an earlier void call of ours went unanswered
   * (it may have voided the card); otherwise it is a refusal for the operator, retried with backoff
   * (a lock can be undone by the employer).
   */
  statusNotChangeable: 72024,
  /** [G] updatestatus with a card_id that is not the 公众号's invoice template (卡券 global code). */
  invalidCardId: 40073,
  /** [G] updatestatus with a code no card of this card_id has (卡券 global code 不合法的 code). */
  invalidCode: 40056,
} as const;

/**
 * The card states updatestatus sets (发票状态一览表). A 开票平台 voids a reversed invoice's card with
 * CANCEL ("目前电子发票冲红在微信中表现为对应的发票卡券被核销"); LOCK / CLOSURE are the employer's
 * (reimbursement side), INIT the state after insert.
 */
export const REIMBURSE_STATUSES = [
  "INVOICE_REIMBURSE_INIT",
  "INVOICE_REIMBURSE_LOCK",
  "INVOICE_REIMBURSE_CLOSURE",
  "INVOICE_REIMBURSE_CANCEL",
] as const;
export type ReimburseStatus = (typeof REIMBURSE_STATUSES)[number];
export const REIMBURSE_CANCEL: ReimburseStatus = "INVOICE_REIMBURSE_CANCEL";

/**
 * 开通微信卡包 (card-setup.ts; CHANNELS.md §5.2–5.3): the three setup calls and what
 * their bodies carry. The paths, `seturl {}` → invoice_url with `s_pappid`, set_contact being
 * required, and title ≤ 9 characters are from CHANNELS.md; the rest is marked.
 */
export const CARD_SETUP = {
  paths: {
    seturl: "/card/invoice/seturl",
    /** The action rides in the query next to access_token (CHANNELS.md §5.2). */
    setContact: "/card/invoice/setbizattr?action=set_contact",
    createcard: "/card/invoice/platform/createcard",
  },
  /** createcard base_info.title: at most 9 characters (CHANNELS.md §5.3). */
  titleMaxChars: 9,
  /** [G] set_contact body `{contact: {phone, time_out}}`; time_out (开票超时, seconds) 7200. */
  contactTimeOutSeconds: 7200,
  /** [G] createcard invoice_info.type: the invoice's kind in words, as the card shows it. */
  invoiceType: "电子发票（普通发票）",
  /**
   * [G] The answers the stand-in gives for a refused setup body: a missing / too long field is
   * invalidParams (72031), a body that is not JSON 47001, set_contact with another action 40097
   * (invalid args), createcard before seturl 72015 (no permission). No source lists them.
   */
  invalidArgs: 40097,
  noPermission: 72015,
} as const;
