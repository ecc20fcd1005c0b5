import { App, Button, Form, Input, Select, Table, Tag } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { TaxAccount } from "../../api-types";
import { formatTime, TAX_ACCOUNT_STATUS } from "../../labels";
import { useCan, useConsole } from "../../session";
import { EditModal } from "./edit-modal";

/** 电子税局账号: through which account invoices are issued (only the sandbox channel for now). */
export function TaxAccountsTab() {
  const { orgId } = useConsole();
  const can = useCan();
  const { message } = App.useApp();
  const [rows, setRows] = useState<TaxAccount[]>([]);
  const [editing, setEditing] = useState<Partial<TaxAccount> | null>(null);
  const load = useCallback(() => api.get<TaxAccount[]>(`/orgs/${orgId}/tax-accounts`).then(setRows), [orgId]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <div className="toolbar">
        <span />
        {can("administer") && (
          <Button type="primary" onClick={() => setEditing({ channel: "sandbox", status: "online" })}>
            新增账号
          </Button>
        )}
      </div>
      <Table<TaxAccount>
        rowKey="id"
        size="middle"
        dataSource={rows}
        pagination={false}
        columns={[
          { title: "账号名称", dataIndex: "name" },
          {
            title: "开票通道",
            dataIndex: "channel",
            render: (c: string) => (c === "sandbox" ? "沙箱（测试）" : c),
          },
          {
            title: "状态",
            dataIndex: "status",
            render: (s: string) => (
              <Tag color={TAX_ACCOUNT_STATUS[s]?.color}>{TAX_ACCOUNT_STATUS[s]?.label ?? s}</Tag>
            ),
          },
          { title: "创建时间", dataIndex: "createdAt", render: formatTime },
          ...(can("administer")
            ? [
                {
                  title: "操作",
                  width: 100,
                  render: (_: unknown, r: TaxAccount) => (
                    <Button type="link" size="small" onClick={() => setEditing(r)}>
                      编辑
                    </Button>
                  ),
                },
              ]
            : []),
        ]}
      />
      <EditModal<TaxAccount>
        title={editing?.id ? "编辑电子税局账号" : "新增电子税局账号"}
        open={editing !== null}
        initial={editing ?? {}}
        fields={["name", "channel", "status"]}
        onClose={() => setEditing(null)}
        onSave={async (v) => {
          const body = { name: v.name, channel: v.channel, status: v.status };
          if (editing?.id) await api.put(`/orgs/${orgId}/tax-accounts/${editing.id}`, body);
          else await api.post(`/orgs/${orgId}/tax-accounts`, body);
          message.success("已保存");
          await load();
        }}
      >
        {() => (
          <>
            <Form.Item label="账号名称" name="name" required>
              <Input maxLength={50} />
            </Form.Item>
            <Form.Item label="开票通道" name="channel" required>
              <Select options={[{ value: "sandbox", label: "沙箱（测试）" }]} />
            </Form.Item>
            <Form.Item label="状态" name="status" required>
              <Select
                options={Object.entries(TAX_ACCOUNT_STATUS).map(([value, s]) => ({ value, label: s.label }))}
              />
            </Form.Item>
          </>
        )}
      </EditModal>
    </>
  );
}
