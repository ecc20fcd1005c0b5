import {
  ApiOutlined,
  AuditOutlined,
  BarChartOutlined,
  CheckSquareOutlined,
  DatabaseOutlined,
  FileTextOutlined,
  MenuFoldOutlined,
  MenuUnfoldOutlined,
  QrcodeOutlined,
  SettingOutlined,
  ShopOutlined,
  SwapOutlined,
  TeamOutlined,
  WarningOutlined,
} from "@ant-design/icons";
import {
  App,
  Avatar,
  Badge,
  Button,
  Dropdown,
  Layout,
  Menu,
  Result,
  Select,
  Skeleton,
  Space,
  Tag,
  Typography,
} from "antd";
import { lazy, type ReactNode, Suspense, useEffect, useState } from "react";
import { ApiError, api } from "./api";
import type { Role } from "./api-types";
import { useAttentionCounts } from "./attention";
import { ChangePasswordModal } from "./change-password";
import { DigestSettingsModal } from "./digest-settings";
import { ROLE_LABELS } from "./labels";
import { navigate, useLocation } from "./router";
import { useCan, useConsole, useRole } from "./session";

// Pages load on first visit, so the first screen does not carry the whole console.
const loaders = {
  baseData: () => import("./pages/base-data-page"),
  config: () => import("./pages/config-page"),
  receiptCodes: () => import("./pages/receipt-codes-page"),
  receiptCodeForm: () => import("./pages/receipt-code-form-page"),
  users: () => import("./pages/users-page"),
  audit: () => import("./pages/audit-page"),
  openApi: () => import("./pages/open-api-page"),
  invoices: () => import("./pages/invoices-page"),
  corrections: () => import("./pages/corrections-page"),
  stats: () => import("./pages/stats-page"),
  exceptions: () => import("./pages/exceptions-page"),
  review: () => import("./pages/review-page"),
  storeCodes: () => import("./pages/store-codes-page"),
};
const BaseDataPage = lazy(loaders.baseData);
const ConfigPage = lazy(loaders.config);
const ExceptionsPage = lazy(loaders.exceptions);
const ReviewPage = lazy(loaders.review);
const StoreCodesPage = lazy(loaders.storeCodes);
const ReceiptCodesPage = lazy(loaders.receiptCodes);
const ReceiptCodeFormPage = lazy(loaders.receiptCodeForm);
const UsersPage = lazy(loaders.users);
const AuditPage = lazy(loaders.audit);
const OpenApiPage = lazy(loaders.openApi);
const InvoicesPage = lazy(loaders.invoices);
const CorrectionsPage = lazy(loaders.corrections);
const StatsPage = lazy(loaders.stats);

/**
 * The first page's script is fetched while the session is still loading, not after it: on a slow
 * link that is one round trip and a chunk's transfer less before the page shows (BENCHMARKS.md).
 * The browser caches the module, so the lazy page above gets the same one.
 */
function preloadFirstPage(): void {
  const path = location.pathname.replace(/^\/admin/, "").replace(/\/+$/, "");
  const first = Object.entries({
    "/base-data": loaders.baseData,
    "/config": loaders.config,
    "/receipt-codes/": loaders.receiptCodeForm,
    "/invoices": loaders.invoices,
    "/corrections": loaders.corrections,
    "/stats": loaders.stats,
    "/users": loaders.users,
    "/audit": loaders.audit,
    "/open-api": loaders.openApi,
  }).find(([prefix]) => path.startsWith(prefix))?.[1];
  void (first ?? loaders.receiptCodes)().catch(() => {});
}
preloadFirstPage();

interface Route {
  key: string;
  title: string;
  render: (match: RegExpMatchArray) => ReactNode;
  pattern: RegExp;
  /** Pages for admins of the current organization only. */
  adminOnly?: boolean;
  /** Pages that change things (the receipt-code form): not for a 只读 role. */
  operateOnly?: boolean;
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
    operateOnly: true,
  },
  {
    key: "/receipt-codes",
    title: "动态小票码",
    pattern: /^\/receipt-codes\/([^/]+)\/edit$/,
    render: (m) => <ReceiptCodeFormPage editId={m[1]} />,
    operateOnly: true,
  },
  { key: "/store-codes", title: "门店码", pattern: /^\/store-codes$/, render: () => <StoreCodesPage /> },
  { key: "/invoices", title: "发票管理", pattern: /^\/invoices$/, render: () => <InvoicesPage /> },
  { key: "/corrections", title: "换开申请", pattern: /^\/corrections$/, render: () => <CorrectionsPage /> },
  { key: "/exceptions", title: "异常中心", pattern: /^\/exceptions$/, render: () => <ExceptionsPage /> },
  { key: "/review", title: "待审核", pattern: /^\/review$/, render: () => <ReviewPage /> },
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

/** Where a role starts: the daily work it may do (a 只读 user reads invoices; it makes no codes). */
export function homeOf(role: Role | undefined): string {
  return role === "viewer" ? "/invoices" : "/receipt-codes";
}

/** 403: the page is not for the role held in the current organization. */
function ForbiddenPage({ role, adminOnly }: { role: Role | undefined; adminOnly: boolean }) {
  return (
    <Result
      status="403"
      title="无权访问此页面"
      subTitle={
        adminOnly
          ? `此页面仅供管理员使用：您在当前组织不是管理员（${role ? ROLE_LABELS[role] : "访客"}），请切换到您管理的组织`
          : `您在当前组织是${role ? ROLE_LABELS[role] : "访客"}，不能新增或修改。`
      }
      extra={
        <Button type="primary" onClick={() => navigate(homeOf(role))}>
          返回首页
        </Button>
      }
      data-testid="forbidden-page"
    />
  );
}

/**
 * A refusal nobody caught (a page's load answered 403 after a role changed) becomes a message
 * instead of an uncaught error in the console.
 */
function useForbiddenNotice() {
  const { message } = App.useApp();
  useEffect(() => {
    const onRejection = (e: PromiseRejectionEvent) => {
      if (e.reason instanceof ApiError && e.reason.status === 403) {
        e.preventDefault();
        void message.error(e.reason.message || "无权执行此操作");
      }
    };
    window.addEventListener("unhandledrejection", onRejection);
    return () => window.removeEventListener("unhandledrejection", onRejection);
  }, [message]);
}

const SIDER_KEY = "piaoma.sider.collapsed";

/** The navigation column folded to its icons, as the operator last left it (this browser). */
function useSiderCollapsed(): [boolean, (collapsed: boolean) => void] {
  const [collapsed, setCollapsed] = useState(() => {
    try {
      return localStorage.getItem(SIDER_KEY) === "1";
    } catch {
      return false;
    }
  });
  const set = (value: boolean) => {
    setCollapsed(value);
    try {
      localStorage.setItem(SIDER_KEY, value ? "1" : "0");
    } catch {
      // A browser that keeps nothing still folds the column for this visit.
    }
  };
  return [collapsed, set];
}

export function Shell({ onLogout }: { onLogout: () => void }) {
  const { session, orgId, setOrgId } = useConsole();
  const can = useCan();
  const role = useRole();
  const [changingPassword, setChangingPassword] = useState(false);
  const [editingDigest, setEditingDigest] = useState(false);
  const [collapsed, setCollapsed] = useSiderCollapsed();
  useForbiddenNotice();
  const { path } = useLocation();
  const attention = useAttentionCounts();
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) {
    // "/" and unknown paths land on the daily work: the receipt codes.
    queueMicrotask(() => navigate(homeOf(role), { replace: true }));
    return null;
  }
  const match = path.match(route.pattern) as RegExpMatchArray;

  const menu: Array<{ key: string; label: string; icon: ReactNode; count?: number }> = [
    { key: "/base-data", label: "基础资料", icon: <DatabaseOutlined /> },
    { key: "/config", label: "小票码配置", icon: <SettingOutlined /> },
    { key: "/receipt-codes", label: "动态小票码", icon: <QrcodeOutlined /> },
    { key: "/store-codes", label: "门店码", icon: <ShopOutlined /> },
    { key: "/invoices", label: "发票管理", icon: <FileTextOutlined /> },
    { key: "/corrections", label: "换开申请", icon: <SwapOutlined /> },
    { key: "/exceptions", label: "异常中心", icon: <WarningOutlined />, count: attention.exceptions },
    { key: "/review", label: "待审核", icon: <CheckSquareOutlined />, count: attention.awaitingReview },
    { key: "/stats", label: "统计分析", icon: <BarChartOutlined /> },
    // Menus follow the role in the current organization: switching to one where the user is not
    // an admin hides these.
    ...(can("administer")
      ? [
          { key: "/users", label: "用户", icon: <TeamOutlined /> },
          { key: "/audit", label: "操作日志", icon: <AuditOutlined /> },
          { key: "/open-api", label: "开放接口", icon: <ApiOutlined /> },
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
      <Layout.Sider
        width={208}
        collapsedWidth={64}
        collapsed={collapsed}
        trigger={null}
        theme="dark"
        className="console-sider"
        data-testid="console-sider"
      >
        <div className="sider-brand">
          <div className="brand-mark small">票</div>
          {!collapsed && <span>票码开票平台</span>}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[route.key]}
          items={menu.map(({ count, ...m }) => ({
            ...m,
            label: (
              <span data-testid={`menu-${m.key.slice(1)}`}>
                {m.label}
                {count ? (
                  <Badge
                    count={count}
                    size="small"
                    overflowCount={999}
                    style={{ marginLeft: 8, boxShadow: "none" }}
                    data-testid={`badge-${m.key.slice(1)}`}
                  />
                ) : null}
              </span>
            ),
          }))}
          onClick={(e) => navigate(e.key)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="console-header">
          <Space>
            <Button
              type="text"
              icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
              onClick={() => setCollapsed(!collapsed)}
              aria-label={collapsed ? "展开菜单" : "收起菜单"}
              title={collapsed ? "展开菜单" : "收起菜单"}
              data-testid="sider-toggle"
            />
            <Typography.Text strong style={{ fontSize: 16 }}>
              {route.title}
            </Typography.Text>
          </Space>
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
                  { key: "digest", label: "每日摘要", onClick: () => setEditingDigest(true) },
                  { key: "logout", label: "退出登录", onClick: logout },
                ],
              }}
              placement="bottomRight"
              trigger={["click"]}
            >
              <Space style={{ cursor: "pointer" }} data-testid="user-menu">
                <Avatar style={{ background: "#3a5a80" }}>{name.slice(0, 1)}</Avatar>
                <span>{name}</span>
                {role && <Tag data-testid="current-role">{ROLE_LABELS[role]}</Tag>}
              </Space>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content className="console-content">
          {!orgId ? (
            <Result status="info" title="您尚未加入任何组织" subTitle="请联系管理员为您分配组织" />
          ) : (route.adminOnly && !can("administer")) || (route.operateOnly && !can("operate")) ? (
            // The menu hides these pages; a typed-in address or a switch of organization gets a
            // clear answer rather than refusals from the server.
            <ForbiddenPage role={role} adminOnly={route.adminOnly === true} />
          ) : (
            <Suspense
              fallback={
                <div data-testid="page-skeleton">
                  <Skeleton active paragraph={{ rows: 10 }} />
                </div>
              }
            >
              {/* Keyed by organization: switching it reloads the page's data. */}
              <div key={orgId}>{route.render(match)}</div>
            </Suspense>
          )}
        </Layout.Content>
        <ChangePasswordModal open={changingPassword} onClose={() => setChangingPassword(false)} />
        <DigestSettingsModal open={editingDigest} onClose={() => setEditingDigest(false)} />
      </Layout>
    </Layout>
  );
}
