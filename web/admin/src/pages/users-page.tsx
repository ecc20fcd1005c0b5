import { App, Button, Card, Checkbox, Form, Input, Select, Switch, Table, Tag } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api, type ConsoleUser, type Role } from "../api";
import { formatTime, ROLE_LABELS } from "../labels";
import { useConsole } from "../session";
import { EditModal } from "./base-data/edit-modal";

type UserForm = ConsoleUser & { password?: string; unlock?: boolean };

const ROLE_HELP: Record<Role, string> = {
  admin: "全部功能，含用户和基础资料",
  operator: "小票码与发票；基础资料只读",
  viewer: "只读与统计",
};

/** 用户 (admins): who may log in, with which role, for which organizations. */
export default function UsersPage() {
  const { session } = useConsole();
  const { message } = App.useApp();
  const [rows, setRows] = useState<ConsoleUser[]>([]);
  const [editing, setEditing] = useState<Partial<UserForm> | null>(null);
  const load = useCallback(() => api.get<ConsoleUser[]>("/users").then(setRows), []);
  useEffect(() => {
    void load();
  }, [load]);
  const orgName = (id: string) => session.organizations.find((o) => o.id === id)?.name ?? id;
  const isNew = !editing?.id;

  return (
    <Card className="page-card">
      <div className="toolbar">
        <span />
        <Button
          type="primary"
          onClick={() =>
            setEditing({ role: "operator", isActive: true, orgIds: session.organizations.map((o) => o.id) })
          }
        >
          新增用户
        </Button>
      </div>
      <Table<ConsoleUser>
        rowKey="id"
        size="middle"
        dataSource={rows}
        pagination={false}
        columns={[
          { title: "用户名", dataIndex: "username" },
          { title: "姓名", dataIndex: "displayName" },
          {
            title: "角色",
            dataIndex: "role",
            render: (r: Role) => (
              <Tag color={r === "admin" ? "red" : r === "operator" ? "blue" : "default"}>
                {ROLE_LABELS[r]}
              </Tag>
            ),
          },
          { title: "所属组织", dataIndex: "orgIds", render: (ids: string[]) => ids.map(orgName).join("、") },
          {
            title: "状态",
            render: (_, u) =>
              !u.isActive ? (
                <Tag>停用</Tag>
              ) : u.lockedUntil ? (
                <Tag color="orange">已锁定</Tag>
              ) : (
                <Tag color="green">正常</Tag>
              ),
          },
          { title: "最近登录", dataIndex: "lastLoginAt", render: formatTime },
          {
            title: "操作",
            width: 80,
            render: (_, u) => (
              <Button type="link" size="small" onClick={() => setEditing(u)}>
                编辑
              </Button>
            ),
          },
        ]}
      />
      <EditModal<UserForm>
        title={isNew ? "新增用户" : `编辑用户 ${editing?.username ?? ""}`}
        open={editing !== null}
        initial={editing ?? {}}
        fields={["username", "displayName", "password", "role", "orgIds", "isActive"]}
        onClose={() => setEditing(null)}
        onSave={async (v) => {
          if (isNew)
            await api.post("/users", {
              username: v.username,
              displayName: v.displayName ?? "",
              password: v.password ?? "",
              role: v.role,
              orgIds: v.orgIds ?? [],
            });
          else
            await api.put(`/users/${editing?.id}`, {
              displayName: v.displayName ?? "",
              role: v.role,
              isActive: v.isActive,
              orgIds: v.orgIds ?? [],
              password: v.password || undefined,
              unlock: v.unlock ?? false,
            });
          message.success("用户已保存");
          await load();
        }}
      >
        {() => (
          <>
            <Form.Item label="用户名" name="username" required>
              <Input disabled={!isNew} autoComplete="off" />
            </Form.Item>
            <Form.Item label="姓名" name="displayName">
              <Input maxLength={50} />
            </Form.Item>
            <Form.Item
              label={isNew ? "初始密码" : "重置密码（留空则不修改）"}
              name="password"
              required={isNew}
            >
              <Input.Password autoComplete="new-password" placeholder="至少 8 位" />
            </Form.Item>
            <Form.Item label="角色" name="role" required>
              <Select
                options={(Object.keys(ROLE_LABELS) as Role[]).map((r) => ({
                  value: r,
                  label: `${ROLE_LABELS[r]} — ${ROLE_HELP[r]}`,
                }))}
              />
            </Form.Item>
            <Form.Item label="所属组织" name="orgIds" required>
              <Checkbox.Group options={session.organizations.map((o) => ({ value: o.id, label: o.name }))} />
            </Form.Item>
            {!isNew && (
              <>
                <Form.Item label="启用" name="isActive" valuePropName="checked">
                  <Switch />
                </Form.Item>
                {editing?.lockedUntil && (
                  <Form.Item name="unlock" valuePropName="checked">
                    <Checkbox>解除登录锁定</Checkbox>
                  </Form.Item>
                )}
              </>
            )}
          </>
        )}
      </EditModal>
    </Card>
  );
}
