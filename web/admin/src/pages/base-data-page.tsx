import { Card, Tabs } from "antd";
import { useLocation } from "../router";
import { DevicesTab } from "./base-data/devices-tab";
import { ItemsTab } from "./base-data/items-tab";
import { OrganizationTab } from "./base-data/organization-tab";
import { TaxAccountsTab } from "./base-data/tax-accounts-tab";

/** 基础资料: the seller, its 电子税局账号, 设备 and 开票项. */
export default function BaseDataPage() {
  // 异常中心's 重新认证 opens the accounts tab (`?tab=tax`).
  const { params } = useLocation();
  return (
    <Card className="page-card" styles={{ body: { paddingTop: 4 } }}>
      <Tabs
        defaultActiveKey={params.get("tab") ?? "org"}
        items={[
          { key: "org", label: "组织信息", children: <OrganizationTab /> },
          { key: "tax", label: "电子税局账号", children: <TaxAccountsTab /> },
          { key: "devices", label: "设备", children: <DevicesTab /> },
          { key: "items", label: "开票项", children: <ItemsTab /> },
        ]}
      />
    </Card>
  );
}
