/**
 * A SUBSET of the 商品和服务税收分类编码 (the tax bureau's classification of goods and services), kept
 * small on purpose: the categories a shop, restaurant, hotel or service firm most often invoices, at
 * category level (the 19-digit code padded with zeros), each with the short name printed between
 * asterisks on the invoice (*餐饮服务*午餐) and the rate such sales usually carry. The names are our
 * own short descriptions, not the official table's wording. It is a helper for filling an 开票项:
 * the operator may type any other code, and must check the rate against the business's own case
 * (a small-scale taxpayer's 征收率, exemptions, sub-categories with another rate).
 *
 * Not checked against the official table as a whole (it was not reachable from here). Checked against
 * invoicing code published by others: 3070401 餐饮服务, 3070402 住宿服务, 3040502 经营租赁 (its
 * 不动产 sub-categories, e.g. 车辆停放 3040502020200000000, are 9 %), 1010101 谷物. Two earlier
 * entries were wrong and are gone: 1060101 is 纸浆 (not 图书), and 1090511 is not 日用杂品.
 */
export interface TaxCategory {
  /** 19 digits. */
  code: string;
  /** What the category covers, in a few words. */
  name: string;
  /** 税收分类简称. */
  shortName: string;
  /** The usual rate as a decimal ("0.13"); "0" where such sales are usually exempt. */
  rate: string;
}

const c = (code7: string, name: string, shortName: string, rate: string): TaxCategory => ({
  code: code7.padEnd(19, "0"),
  name,
  shortName,
  rate,
});

export const TAX_CATEGORIES: readonly TaxCategory[] = [
  // 货物
  c("1010101", "谷物（稻谷、小麦、玉米等）", "谷物", "0.09"),
  c("1010112", "蔬菜", "蔬菜", "0.09"),
  c("1030201", "乳制品（液态奶、奶粉等）", "乳制品", "0.13"),
  c("1030307", "瓶装饮用水、冷饮", "水冰雪", "0.13"),
  // 劳务
  c("2010000", "加工劳务（受托加工货物）", "加工劳务", "0.13"),
  c("2020000", "修理修配劳务", "修理修配劳务", "0.13"),
  // 交通运输、邮政、电信
  c("3010101", "铁路运输服务", "运输服务", "0.09"),
  c("3010102", "其他陆路运输服务（公路、出租车、城市公交）", "运输服务", "0.09"),
  c("3010200", "水路运输服务", "运输服务", "0.09"),
  c("3010300", "航空运输服务", "运输服务", "0.09"),
  c("3020000", "邮政服务", "邮政服务", "0.09"),
  c("3030100", "基础电信服务（通话、宽带接入）", "电信服务", "0.09"),
  c("3030200", "增值电信服务（短信、互联网数据）", "电信服务", "0.06"),
  // 现代服务
  c("3040100", "研发和技术服务", "研发和技术服务", "0.06"),
  c("3040201", "软件服务（开发、维护、测试）", "信息技术服务", "0.06"),
  c("3040203", "信息系统服务（托管、运维、数据处理）", "信息技术服务", "0.06"),
  c("3040301", "设计服务", "文化创意服务", "0.06"),
  c("3040303", "广告服务", "文化创意服务", "0.06"),
  c("3040304", "会议展览服务", "文化创意服务", "0.06"),
  c("3040400", "物流辅助服务（仓储、装卸、收派）", "物流辅助服务", "0.06"),
  c("3040501", "融资租赁服务", "租赁服务", "0.13"),
  c("3040502", "经营租赁服务（设备、车辆出租）", "经营租赁", "0.13"),
  c("3040600", "鉴证咨询服务（审计、评估、咨询）", "鉴证咨询服务", "0.06"),
  c("3040700", "广播影视服务", "广播影视服务", "0.06"),
  c("3040801", "企业管理服务（物业管理、办公服务）", "企业管理服务", "0.06"),
  c("3040802", "经纪代理服务", "经纪代理服务", "0.06"),
  c("3040803", "人力资源服务", "人力资源服务", "0.06"),
  c("3040804", "安全保护服务", "安全保护服务", "0.06"),
  c("3049900", "其他现代服务", "现代服务", "0.06"),
  // 建筑服务
  c("3050100", "工程服务", "建筑服务", "0.09"),
  c("3050200", "安装服务", "建筑服务", "0.09"),
  c("3050300", "修缮服务", "建筑服务", "0.09"),
  c("3050400", "装饰服务", "建筑服务", "0.09"),
  // 金融服务
  c("3060100", "贷款服务", "金融服务", "0.06"),
  c("3060200", "直接收费金融服务", "金融服务", "0.06"),
  c("3060300", "保险服务", "金融服务", "0.06"),
  // 生活服务
  c("3070100", "文化体育服务（演出、场馆）", "文化体育服务", "0.06"),
  c("3070200", "教育医疗服务（培训、医疗）", "教育医疗服务", "0.06"),
  c("3070300", "旅游娱乐服务", "旅游娱乐服务", "0.06"),
  c("3070401", "餐饮服务（堂食、外卖）", "餐饮服务", "0.06"),
  c("3070402", "住宿服务（酒店、旅馆）", "住宿服务", "0.06"),
  c("3070500", "居民日常服务（美容美发、洗染、家政）", "居民日常服务", "0.06"),
  c("3079900", "其他生活服务", "生活服务", "0.06"),
];
