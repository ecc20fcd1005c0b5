import { Avatar, Dropdown, Layout, Menu, Result, Select, Space, Spin, Tag, Typography } from "antd";
import { lazy, type ReactNode, Suspense, useState } from "react";
import { api } from "./api";
import { ChangePasswordModal } from "./change-password";
import { ROLE_LABELS } from "./labels";
import { navigate, useLocation } from "./router";
import { useCan, useConsole, useRole } from "./session";

// Pages load on first visit, so the first screen does not carry the whole console.
const BaseDataPage = lazy(() => import("./pages/base-data-page"));
const ConfigPage = lazy(() => import("./pages/config-page"));
const ReceiptCodesPage = lazy(() => import("./pages/receipt-codes-page"));
const ReceiptCodeFormPage = lazy(() => import("./pages/receipt-code-form-page"));
const UsersPage = lazy(() => import("./pages/users-page"));
const AuditPage = lazy(() => import("./pages/audit-page"));
const OpenApiPage = lazy(() => import("./pages/open-api-page"));
const InvoicesPage = lazy(() => import("./pages/invoices-page"));
const StatsPage = lazy(() => import("./pages/stats-page"));

interface Route {
  key: string;
  title: string;
  render: (match: RegExpMatchArray) => ReactNode;
  pattern: RegExp;
  /** Pages for admins of the current organization only. */
  adminOnly?: boolean;
}

const ROUTES: Route[] = [
  { key: "/base-data", title: "基础资料", pattern: /^\/base-data$/, render: () => <BaseDataPage /> },
  { key: "/config", title: "小票码配置", pattern: /^\/config$/, render: () => <ConfigPage /> },
  {
    key: "/receipt-codes",
    title: "动态小票码",
    pattern: /^\/receipt-codes$/,
    render: () => <ReceiptCodesPage />,
  },
  {
    key: "/receipt-codes",
    title: "动态小票码",
    pattern: /^\/receipt-codes\/new$/,
    render: () => <ReceiptCodeFormPage />,
  },
  {
    key: "/receipt-codes",
    title: "动态小票码",
    pattern: /^\/receipt-codes\/([^/]+)\/edit$/,
    render: (m) => <ReceiptCodeFormPage editId={m[1]} />,
  },
  { key: "/invoices", title: "发票管理", pattern: /^\/invoices$/, render: () => <InvoicesPage /> },
  { key: "/stats", title: "统计分析", pattern: /^\/stats$/, render: () => <StatsPage /> },
  { key: "/users", title: "用户", pattern: /^\/users$/, render: () => <UsersPage />, adminOnly: true },
  { key: "/audit", title: "操作日志", pattern: /^\/audit$/, render: () => <AuditPage />, adminOnly: true },
  {
    key: "/open-api",
    title: "开放接口",
    pattern: /^\/open-api$/,
    render: () => <OpenApiPage />,
    adminOnly: true,
  },
];

export function Shell({ onLogout }: { onLogout: () => void }) {
  const { session, orgId, setOrgId } = useConsole();
  const can = useCan();
  const role = useRole();
  const [changingPassword, setChangingPassword] = useState(false);
  const { path } = useLocation();
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) {
    // "/" and unknown paths land on the daily work: the receipt codes.
    queueMicrotask(() => navigate("/receipt-codes", { replace: true }));
    return null;
  }
  const match = path.match(route.pattern) as RegExpMatchArray;

  const menu = [
    { key: "/base-data", label: "基础资料" },
    { key: "/config", label: "小票码配置" },
    { key: "/receipt-codes", label: "动态小票码" },
    { key: "/invoices", label: "发票管理" },
    { key: "/stats", label: "统计分析" },
    // Menus follow the role in the current organization: switching to one where the user is not
    // an admin hides these.
    ...(can("administer")
      ? [
          { key: "/users", label: "用户" },
          { key: "/audit", label: "操作日志" },
          { key: "/open-api", label: "开放接口" },
        ]
      : []),
  ];

  const logout = async () => {
    await api.delete("/session").catch(() => {});
    onLogout();
  };

  const name = session.user.displayName || session.user.username;
  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider width={208} theme="dark" className="console-sider">
        <div className="sider-brand">
          <div className="brand-mark small">票</div>
          <span>票码开票平台</span>
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[route.key]}
          items={menu.map((m) => ({
            ...m,
            label: <span data-testid={`menu-${m.key.slice(1)}`}>{m.label}</span>,
          }))}
          onClick={(e) => navigate(e.key)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="console-header">
          <Typography.Text strong style={{ fontSize: 16 }}>
            {route.title}
          </Typography.Text>
          <Space size="large">
            <Space>
              <Typography.Text type="secondary">当前组织</Typography.Text>
              <Select
                data-testid="org-switcher"
                value={orgId || undefined}
                onChange={setOrgId}
                style={{ width: 300 }}
                options={session.organizations.map((o) => ({ value: o.id, label: o.name }))}
                placeholder="请选择组织"
              />
            </Space>
            <Dropdown
              menu={{
                items: [
                  { key: "password", label: "修改密码", onClick: () => setChangingPassword(true) },
                  { key: "logout", label: "退出登录", onClick: logout },
                ],
              }}
              placement="bottomRight"
              trigger={["click"]}
            >
              <Space style={{ cursor: "pointer" }} data-testid="user-menu">
                <Avatar style={{ background: "#c0392b" }}>{name.slice(0, 1)}</Avatar>
                <span>{name}</span>
                {role && <Tag data-testid="current-role">{ROLE_LABELS[role]}</Tag>}
              </Space>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content className="console-content">
          {!orgId ? (
            <Result status="info" title="您尚未加入任何组织" subTitle="请联系管理员为您分配组织" />
          ) : route.adminOnly && !can("administer") ? (
            // The menu hides these pages; a typed-in address or a switch of organization gets a
            // clear answer rather than refusals from the server.
            <Result status="403" title="您在当前组织不是管理员" subTitle="请切换到您管理的组织" />
          ) : (
            <Suspense fallback={<Spin style={{ display: "block", margin: "80px auto" }} />}>
              {/* Keyed by organization: switching it reloads the page's data. */}
              <div key={orgId}>{route.render(match)}</div>
            </Suspense>
          )}
        </Layout.Content>
        <ChangePasswordModal open={changingPassword} onClose={() => setChangingPassword(false)} />
      </Layout>
    </Layout>
  );
}
