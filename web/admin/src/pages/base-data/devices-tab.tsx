import { App, Button, Form, Input, Switch, Tag } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { Device } from "../../api-types";
import { ListPage } from "../../list-page";
import { useCan, useConsole } from "../../session";
import { EditModal } from "./edit-modal";

/** 设备: POS terminals; receipt codes carry their number. */
export function DevicesTab() {
  const { orgId } = useConsole();
  const can = useCan();
  const { message } = App.useApp();
  const [rows, setRows] = useState<Device[]>([]);
  const [editing, setEditing] = useState<Partial<Device> | null>(null);
  const load = useCallback(() => api.get<Device[]>(`/orgs/${orgId}/devices`).then(setRows), [orgId]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <ListPage<Device, object>
        embedded
        total={rows.length}
        actions={
          can("administer") && (
            <Button type="primary" onClick={() => setEditing({ isActive: true })}>
              新增设备
            </Button>
          )
        }
        table={{
          dataSource: rows,
          columns: [
            { title: "设备编号", dataIndex: "deviceNo", width: 180, ellipsis: true },
            { title: "设备名称", dataIndex: "name", width: 220, ellipsis: true },
            { title: "位置", dataIndex: "location", ellipsis: true },
            {
              title: "状态",
              dataIndex: "isActive",
              width: 90,
              render: (a: boolean) => (a ? <Tag color="green">启用</Tag> : <Tag>停用</Tag>),
            },
            ...(can("administer")
              ? [
                  {
                    title: "操作",
                    width: 100,
                    render: (_: unknown, r: Device) => (
                      <Button type="link" size="small" onClick={() => setEditing(r)}>
                        编辑
                      </Button>
                    ),
                  },
                ]
              : []),
          ],
        }}
      />
      <EditModal<Device>
        title={editing?.id ? "编辑设备" : "新增设备"}
        open={editing !== null}
        initial={editing ?? {}}
        fields={["deviceNo", "name", "location", "isActive"]}
        onClose={() => setEditing(null)}
        onSave={async (v) => {
          const body = {
            deviceNo: v.deviceNo,
            name: v.name ?? "",
            location: v.location ?? "",
            isActive: v.isActive,
          };
          if (editing?.id) await api.put(`/orgs/${orgId}/devices/${editing.id}`, body);
          else await api.post(`/orgs/${orgId}/devices`, body);
          message.success("已保存");
          await load();
        }}
      >
        {() => (
          <>
            <Form.Item label="设备编号" name="deviceNo" required>
              <Input maxLength={50} placeholder="例如 POS-03" />
            </Form.Item>
            <Form.Item label="设备名称" name="name">
              <Input maxLength={50} />
            </Form.Item>
            <Form.Item label="位置" name="location">
              <Input maxLength={100} />
            </Form.Item>
            <Form.Item label="启用" name="isActive" valuePropName="checked">
              <Switch />
            </Form.Item>
          </>
        )}
      </EditModal>
    </>
  );
}
