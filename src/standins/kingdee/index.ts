export { CODES as KINGDEE_STANDIN_CODES, INVOICE_STATUS as KINGDEE_STANDIN_INVOICE_STATUS } from "./protocol";
export {
  type KingdeeScenario,
  type KingdeeStandin,
  type KingdeeStandinOptions,
  type KingdeeStandinTenant,
  startKingdeeStandin,
} from "./server";
