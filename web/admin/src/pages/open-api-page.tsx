import { Card, Result, Tabs } from "antd";
import { useCan } from "../session";
import { CredentialsTab } from "./open-api/credentials-tab";
import { EventsTab } from "./open-api/events-tab";
import { UrlsTab } from "./open-api/urls-tab";

/** 开放接口 (admins): App credentials, the merchant's URLs, and the webhook delivery log. */
export default function OpenApiPage() {
  const can = useCan();
  // The menu hides this page from other roles; a typed-in address gets a clear answer, not errors.
  if (!can("administer")) return <Result status="403" title="仅管理员可管理开放接口" />;
  return (
    <Card className="page-card" styles={{ body: { paddingTop: 4 } }}>
      <Tabs
        destroyOnHidden
        items={[
          { key: "credentials", label: "应用凭证", children: <CredentialsTab /> },
          { key: "urls", label: "接口地址", children: <UrlsTab /> },
          { key: "events", label: "事件通知记录", children: <EventsTab /> },
        ]}
      />
    </Card>
  );
}
