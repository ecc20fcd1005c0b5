import { Layout, Result, Spin, Tag, Typography } from "antd";
import { useEffect, useState } from "react";

interface Health {
  status: string;
  db: string;
  version: string;
}

/** The console shell. Its pages (login, 基础资料, 小票码配置, 动态小票码, 发票, 统计) arrive with their issues. */
export function App() {
  const [health, setHealth] = useState<Health | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    fetch("/health")
      .then((r) => r.json() as Promise<Health>)
      .then(setHealth)
      .catch(() => setFailed(true));
  }, []);

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Header style={{ display: "flex", alignItems: "center", gap: 12 }}>
        <Typography.Title level={4} style={{ color: "#fff", margin: 0 }}>
          票码 · 开票管理控制台
        </Typography.Title>
      </Layout.Header>
      <Layout.Content style={{ padding: 24 }}>
        {health ? (
          <Result
            status="success"
            title="服务运行正常"
            subTitle={
              <span data-testid="health">
                数据库 <Tag color={health.db === "ok" ? "green" : "red"}>{health.db}</Tag> 版本{" "}
                {health.version}
              </span>
            }
          />
        ) : failed ? (
          <Result status="error" title="无法连接服务" />
        ) : (
          <Spin />
        )}
      </Layout.Content>
    </Layout>
  );
}
