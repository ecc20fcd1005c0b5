/** The 金蝶发票云旗舰版 channel's public surface (see kingdee.ts; docs/channels.md for merchants). */
export {
  type CachedKingdeeToken,
  type KingdeeDeps,
  type KingdeeTokenStore,
  memoryKingdeeTokenStore,
} from "./client";
export { aesKeyFromPassword, createKingdeeCodec, type KingdeeCodec } from "./codec";
export { isKingdeeFileUrl, kingdeeRequestFrom, kingdeeSerialNo } from "./invoice-data";
export {
  createKingdeeChannel,
  type KingdeeCallbackOutcome,
  type KingdeeChannel,
  type KingdeeQuery,
  parseKingdeeCallback,
} from "./kingdee";
export { KINGDEE_CALLBACK_REPLY, KINGDEE_MAPPING } from "./mapping";
export {
  type KingdeeSettings,
  KingdeeSettingsError,
  kingdeeSettingsSchema,
  maskKingdeeSettings,
  parseKingdeeSettings,
} from "./settings";
export type {
  AccountProblem,
  ChannelFiles,
  KingdeeAccountCheck,
  KingdeeIssueRequest,
  KingdeeRedRequest,
  KingdeeResult,
  PartyContact,
} from "./types";
