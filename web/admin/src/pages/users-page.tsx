import { App, Button, Checkbox, Form, Input, Select, Space, Switch, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api } from "../api";
import type { ConsoleUser, Membership, Role } from "../api-types";
import { formatTime, ROLE_LABELS } from "../labels";
import { ListPage } from "../list-page";
import { useConsole } from "../session";
import { EditModal } from "./base-data/edit-modal";

/** One row per organization the admin administers: whether the user belongs to it, and how. */
interface MembershipRow {
  member: boolean;
  role: Role;
  isActive: boolean;
}

interface UserForm {
  id?: string;
  username: string;
  displayName: string;
  password?: string;
  unlock?: boolean;
  rows: MembershipRow[];
  canEditAccount: boolean;
  lockedUntil?: string | null;
}

const ROLE_HELP: Record<Role, string> = {
  admin: "全部功能，含用户和基础资料",
  operator: "小票码与发票；基础资料只读",
  viewer: "只读与统计",
};

const ROLE_COLORS: Record<Role, string> = { admin: "red", operator: "blue", viewer: "default" };

/**
 * 用户 (admins): who may log in, and with which role in each organization. An admin sees and sets
 * memberships only in the organizations it administers; a user who also belongs elsewhere keeps its
 * password and name, which only that user (修改密码) or an admin of all its organizations changes.
 */
export default function UsersPage() {
  const { session, orgId, refresh } = useConsole();
  const { message } = App.useApp();
  const [rows, setRows] = useState<ConsoleUser[]>([]);
  const [editing, setEditing] = useState<UserForm | null>(null);
  const load = useCallback(() => api.get<ConsoleUser[]>("/users").then(setRows), []);
  useEffect(() => {
    void load();
  }, [load]);
  const adminOrgs = session.organizations.filter((o) => o.role === "admin");
  const orgName = (id: string) => session.organizations.find((o) => o.id === id)?.name ?? id;
  const isNew = !editing?.id;

  const formOf = (u: ConsoleUser): UserForm => ({
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    canEditAccount: u.canEditAccount,
    lockedUntil: u.lockedUntil,
    rows: adminOrgs.map((o) => {
      const m = u.memberships.find((x) => x.orgId === o.id);
      return m
        ? { member: true, role: m.role, isActive: m.isActive }
        : { member: false, role: "operator", isActive: true };
    }),
  });

  const save = async (v: UserForm) => {
    // The form lists every administered organization; the API takes the memberships only, and
    // answers about them by their position among those sent.
    const sent: number[] = [];
    const memberships: Membership[] = [];
    v.rows.forEach((r, j) => {
      const org = adminOrgs[j];
      if (!r.member || !org) return;
      sent.push(j);
      memberships.push({ orgId: org.id, role: r.role, isActive: r.isActive });
    });
    try {
      if (isNew)
        await api.post("/users", {
          username: v.username,
          displayName: v.displayName ?? "",
          password: v.password ?? "",
          memberships,
        });
      else
        await api.put(`/users/${v.id}`, {
          ...(v.canEditAccount ? { displayName: v.displayName ?? "" } : {}),
          memberships,
          password: (v.canEditAccount && v.password) || undefined,
          unlock: v.unlock ?? false,
        });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const fields = Object.entries(e.fields).map(([path, text]) => [
        path.replace(/^memberships\[(\d+)\]/, (_, i) => `rows[${sent[Number(i)] ?? i}]`),
        text,
      ]);
      throw new ApiError(e.status, e.code, e.message, Object.fromEntries(fields));
    }
    message.success("用户已保存");
    // The admin may have changed its own role somewhere.
    if (v.id === session.user.id) await refresh();
    await load();
  };

  return (
    <>
      <ListPage<ConsoleUser, object>
        total={rows.length}
        testId="users-table"
        actions={
          <>
            <Button
              type="primary"
              onClick={() =>
                setEditing({
                  username: "",
                  displayName: "",
                  canEditAccount: true,
                  rows: adminOrgs.map((o) => ({ member: o.id === orgId, role: "operator", isActive: true })),
                })
              }
            >
              新增用户
            </Button>
            <Typography.Text type="secondary">
              仅显示和设置您管理的组织：{adminOrgs.map((o) => o.name).join("、")}
            </Typography.Text>
          </>
        }
        table={{
          dataSource: rows,
          columns: [
            { title: "用户名", dataIndex: "username", width: 150, ellipsis: true },
            { title: "姓名", dataIndex: "displayName", width: 120, ellipsis: true },
            {
              title: "组织与角色",
              dataIndex: "memberships",
              render: (ms: Membership[]) => (
                <Space size={[4, 4]} wrap>
                  {ms.map((m) => (
                    <Tag key={m.orgId} color={m.isActive ? ROLE_COLORS[m.role] : "default"}>
                      {orgName(m.orgId)} · {ROLE_LABELS[m.role]}
                      {m.isActive ? "" : "（停用）"}
                    </Tag>
                  ))}
                </Space>
              ),
            },
            {
              title: "状态",
              width: 80,
              render: (_, u) =>
                u.lockedUntil ? (
                  <Tag color="orange">已锁定</Tag>
                ) : u.memberships.some((m) => m.isActive) ? (
                  <Tag color="green">正常</Tag>
                ) : (
                  <Tag>停用</Tag>
                ),
            },
            { title: "最近登录", dataIndex: "lastLoginAt", width: 140, render: formatTime },
            {
              title: "操作",
              width: 80,
              render: (_, u) => (
                <Button type="link" size="small" onClick={() => setEditing(formOf(u))}>
                  编辑
                </Button>
              ),
            },
          ],
        }}
      />
      <EditModal<UserForm>
        title={isNew ? "新增用户" : `编辑用户 ${editing?.username ?? ""}`}
        open={editing !== null}
        initial={editing ?? {}}
        fields={["username", "displayName", "password", "rows.role", "rows.isActive", "rows.member"]}
        width={640}
        onClose={() => setEditing(null)}
        onSave={save}
      >
        {(form) => (
          <>
            <Form.Item label="用户名" name="username" required>
              <Input disabled={!isNew} autoComplete="off" />
            </Form.Item>
            {!isNew && !editing?.canEditAccount && (
              <Typography.Paragraph type="secondary">
                该用户还属于您不管理的组织：姓名和密码只能由其本人（修改密码）或管理其全部组织的管理员修改。
              </Typography.Paragraph>
            )}
            <Form.Item label="姓名" name="displayName">
              <Input maxLength={50} disabled={!isNew && !editing?.canEditAccount} />
            </Form.Item>
            <Form.Item
              label={isNew ? "初始密码" : "重置密码（留空则不修改）"}
              name="password"
              required={isNew}
            >
              <Input.Password
                autoComplete="new-password"
                placeholder="至少 8 位"
                disabled={!isNew && !editing?.canEditAccount}
              />
            </Form.Item>
            <Form.Item label="所属组织与角色" required style={{ marginBottom: 8 }}>
              {adminOrgs.map((o, j) => (
                <Space key={o.id} align="start" className="membership-row" data-testid={`membership-${o.id}`}>
                  <Form.Item name={["rows", j, "member"]} valuePropName="checked" style={{ width: 260 }}>
                    <Checkbox>{o.name}</Checkbox>
                  </Form.Item>
                  <Form.Item noStyle shouldUpdate>
                    {() => {
                      const member = Boolean(form.getFieldValue(["rows", j, "member"]));
                      return (
                        <Space align="start">
                          <Form.Item name={["rows", j, "role"]}>
                            <Select
                              aria-label={`${o.name} 角色`}
                              disabled={!member}
                              style={{ width: 180 }}
                              popupMatchSelectWidth={false}
                              options={(Object.keys(ROLE_LABELS) as Role[]).map((r) => ({
                                value: r,
                                label: `${ROLE_LABELS[r]} — ${ROLE_HELP[r]}`,
                              }))}
                              labelRender={({ value }) => ROLE_LABELS[value as Role]}
                            />
                          </Form.Item>
                          <Form.Item name={["rows", j, "isActive"]} valuePropName="checked">
                            <Switch disabled={!member} checkedChildren="启用" unCheckedChildren="停用" />
                          </Form.Item>
                        </Space>
                      );
                    }}
                  </Form.Item>
                </Space>
              ))}
            </Form.Item>
            {!isNew && editing?.lockedUntil && (
              <Form.Item name="unlock" valuePropName="checked">
                <Checkbox>解除登录锁定</Checkbox>
              </Form.Item>
            )}
          </>
        )}
      </EditModal>
    </>
  );
}
