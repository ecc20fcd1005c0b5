import { Card, Select, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { api, query } from "../api";
import type { AuditEntry, Page } from "../api-types";
import { AUDIT_ACTIONS, formatTime } from "../labels";
import { useConsole } from "../session";

const FAMILIES = [
  { value: "receipt_code", label: "小票码" },
  { value: "item", label: "开票项" },
  { value: "device", label: "设备" },
  { value: "tax_account", label: "电子税局账号" },
  { value: "config", label: "小票码配置" },
  { value: "organization", label: "组织" },
  { value: "user", label: "用户" },
];

const DETAIL_LABELS: Record<string, string> = {
  serialNo: "流水号",
  totalAmount: "价税合计",
  format: "纸张",
  fromSerialNo: "复制自",
  name: "名称",
  code: "编码",
  limit: "限额",
  username: "用户名",
  role: "角色",
  previousRole: "原角色",
  previouslyActive: "原启用",
  displayName: "姓名",
  passwordChanged: "重置密码",
  unlocked: "解除锁定",
  deviceNo: "设备编号",
  created: "新增",
  updated: "更新",
  source: "来源",
  taxRate: "税率",
  taxId: "税号",
  overLimitPolicy: "超限额处理",
  fileName: "文件",
  isActive: "启用",
};

const VALUE_LABELS: Record<string, string> = {
  manual: "手工新增",
  push: "接口推送",
  link: "链接生成",
  reject: "拒绝开票",
  split: "拆分开票",
  admin: "管理员",
  operator: "开票员",
  viewer: "只读",
  true: "是",
  false: "否",
};

function describe(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([k, v]) => v !== null && v !== undefined && typeof v !== "object" && !k.endsWith("Id"))
    .map(([k, v]) => `${DETAIL_LABELS[k] ?? k}：${VALUE_LABELS[String(v)] ?? String(v)}`)
    .join("；");
}

/** 操作日志: who created, changed, disabled and printed what. */
export default function AuditPage() {
  const { orgId } = useConsole();
  const [action, setAction] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  const [data, setData] = useState<Page<AuditEntry>>({ items: [], total: 0, page: 1, pageSize: 15 });

  useEffect(() => {
    void api
      .get<Page<AuditEntry>>(`/orgs/${orgId}/audit${query({ action, page, pageSize: 15 })}`)
      .then(setData);
  }, [orgId, action, page]);

  return (
    <Card className="page-card">
      <div className="toolbar">
        <span>
          <Typography.Text type="secondary">对象类型 </Typography.Text>
          <Select
            allowClear
            placeholder="全部"
            style={{ width: 180 }}
            options={FAMILIES}
            value={action}
            onChange={(v) => {
              setPage(1);
              setAction(v);
            }}
          />
        </span>
        <Typography.Text type="secondary">共 {data.total} 条</Typography.Text>
      </div>
      <Table<AuditEntry>
        rowKey="id"
        size="middle"
        dataSource={data.items}
        pagination={{
          current: page,
          pageSize: 15,
          total: data.total,
          onChange: setPage,
          showSizeChanger: false,
        }}
        columns={[
          { title: "时间", dataIndex: "createdAt", width: 160, render: formatTime },
          {
            title: "操作人",
            width: 200,
            render: (_, e) => (
              <span>
                {e.actorType !== "user" && (
                  <Tag>{e.actorType === "system" ? "系统" : e.actorType === "app" ? "接口" : "消费者"}</Tag>
                )}
                {e.actorName}
              </span>
            ),
          },
          { title: "操作", dataIndex: "action", width: 160, render: (a: string) => AUDIT_ACTIONS[a] ?? a },
          { title: "详情", dataIndex: "details", render: (d: Record<string, unknown>) => describe(d) || "—" },
        ]}
      />
    </Card>
  );
}
