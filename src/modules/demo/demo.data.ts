/**
 * The demo seller: a fictional hotel in Shenzhen. Its 统一社会信用代码 passes both check characters
 * but belongs to no real company (the organization-code part spells PMDEM001).
 */
export const demoOrganization = {
  name: "票码示范酒店（深圳）有限公司",
  taxId: "91440300PMDEM0017W",
  address: "深圳市南山区科技园南区示范路 1 号",
  phone: "0755-86000000",
  bankName: "示范银行深圳科技园支行",
  bankAccount: "6222000000000000001",
};

export const demoLogin = { username: "demo", password: "piaoma-demo", role: "admin" as const };

export const demoDevices = [
  { deviceNo: "POS-01", name: "前台收银 1 号机", location: "一楼大堂" },
  { deviceNo: "POS-02", name: "餐厅收银 2 号机", location: "二楼中餐厅" },
];

/** Services a hotel sells, with their real 商品和服务税收分类编码 and the 6% rate of 生活服务. */
export const demoItems = [
  {
    code: "ROOM-STD",
    name: "标准间",
    shortName: "住宿服务",
    taxCode: "3070402000000000000",
    taxRate: "0.06",
    unit: "间夜",
    unitPrice: "388.00",
  },
  {
    code: "ROOM-KING",
    name: "大床房",
    shortName: "住宿服务",
    taxCode: "3070402000000000000",
    taxRate: "0.06",
    unit: "间夜",
    unitPrice: "458.00",
  },
  {
    code: "BREAKFAST",
    name: "自助早餐",
    shortName: "餐饮服务",
    taxCode: "3070401000000000000",
    taxRate: "0.06",
    unit: "份",
    unitPrice: "68.00",
  },
  {
    code: "LUNCH",
    name: "午餐",
    shortName: "餐饮服务",
    taxCode: "3070401000000000000",
    taxRate: "0.06",
    unit: "份",
    unitPrice: null,
  },
  {
    code: "DINNER",
    name: "晚餐",
    shortName: "餐饮服务",
    taxCode: "3070401000000000000",
    taxRate: "0.06",
    unit: "份",
    unitPrice: null,
  },
];
