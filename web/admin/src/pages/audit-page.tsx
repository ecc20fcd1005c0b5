import { App, Button, Form, Input, Select, Tag } from "antd";
import { useEffect, useState } from "react";
import { api, query } from "../api";
import type { AuditEntry, Page } from "../api-types";
import { type DayRange, DayRangeFilter, dayRangeToQuery } from "../date-range";
import { AUDIT_ACTIONS, formatTime } from "../labels";
import { downloadCsv, ListPage } from "../list-page";
import { useConsole } from "../session";
import { describeAudit } from "./audit/describe";

/** 对象类型 (a family of actions) and each action by its Chinese name. */
const FAMILIES = [
  { value: "receipt_code", label: "小票码（全部）" },
  { value: "invoice", label: "发票（全部）" },
  { value: "item", label: "开票项（全部）" },
  { value: "device", label: "设备（全部）" },
  { value: "tax_account", label: "电子税局账号（全部）" },
  { value: "config", label: "小票码配置" },
  { value: "organization", label: "组织（全部）" },
  { value: "user", label: "用户（全部）" },
];
const ACTION_OPTIONS = [
  { label: "按对象", options: FAMILIES },
  {
    label: "按操作",
    options: Object.entries(AUDIT_ACTIONS).map(([value, label]) => ({ value, label })),
  },
];

interface AuditFilters {
  action?: string;
  operator?: string;
  dates?: DayRange;
}

const PAGE_SIZE = 15;
/** The export reads the filtered entries page by page, up to this many. */
const EXPORT_MAX = 10_000;

function actorLabel(e: AuditEntry): string {
  const kind =
    e.actorType === "user"
      ? ""
      : e.actorType === "system"
        ? "系统 "
        : e.actorType === "app"
          ? "接口 "
          : "消费者 ";
  return `${kind}${e.actorName}`;
}

/** 操作日志: who created, changed, disabled and printed what, filtered by day, operator and action. */
export default function AuditPage() {
  const { orgId } = useConsole();
  const { message } = App.useApp();
  const [filterForm] = Form.useForm<AuditFilters>();
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [page, setPage] = useState(1);
  const [exporting, setExporting] = useState(false);
  const [data, setData] = useState<Page<AuditEntry>>({ items: [], total: 0, page: 1, pageSize: PAGE_SIZE });

  useEffect(() => {
    void api
      .get<Page<AuditEntry>>(`/orgs/${orgId}/audit${query({ ...filters, page, pageSize: PAGE_SIZE })}`)
      .then(setData);
  }, [orgId, filters, page]);

  const exportCsv = async () => {
    setExporting(true);
    try {
      const rows: AuditEntry[] = [];
      for (let p = 1; rows.length < EXPORT_MAX; p++) {
        const chunk = await api.get<Page<AuditEntry>>(
          `/orgs/${orgId}/audit${query({ ...filters, page: p, pageSize: 200 })}`,
        );
        rows.push(...chunk.items);
        if (chunk.items.length < 200 || rows.length >= chunk.total) break;
      }
      downloadCsv(
        `操作日志-${new Date().toISOString().slice(0, 10)}.csv`,
        ["时间", "操作人", "操作", "详情"],
        rows.map((e) => [
          formatTime(e.createdAt),
          actorLabel(e),
          AUDIT_ACTIONS[e.action] ?? e.action,
          describeAudit(e.details).join("；"),
        ]),
      );
      if (rows.length >= EXPORT_MAX) message.warning(`只导出了最近 ${EXPORT_MAX} 条，请缩小日期范围`);
    } finally {
      setExporting(false);
    }
  };

  return (
    <ListPage<AuditEntry, AuditFilters>
      filterForm={filterForm}
      onSearch={(v) => {
        setPage(1);
        setFilters({
          ...(v.action ? { action: v.action } : {}),
          ...(v.operator?.trim() ? { operator: v.operator.trim() } : {}),
          ...dayRangeToQuery(v.dates),
        });
      }}
      onReset={() => {
        setPage(1);
        setFilters({});
      }}
      filters={
        <>
          <Form.Item label="日期" name="dates">
            <DayRangeFilter data-testid="audit-dates" />
          </Form.Item>
          <Form.Item label="操作人" name="operator">
            <Input
              allowClear
              placeholder="用户名或姓名"
              style={{ width: 160 }}
              data-testid="audit-operator"
            />
          </Form.Item>
          <Form.Item label="操作" name="action">
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              placeholder="全部"
              style={{ width: 220 }}
              options={ACTION_OPTIONS}
              data-testid="audit-action"
            />
          </Form.Item>
        </>
      }
      actions={
        <Button onClick={exportCsv} loading={exporting} data-testid="audit-export">
          导出 CSV
        </Button>
      }
      total={data.total}
      page={page}
      pageSize={PAGE_SIZE}
      onPage={setPage}
      testId="audit-table"
      table={{
        dataSource: data.items,
        columns: [
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
          {
            title: "详情",
            dataIndex: "details",
            render: (d: Record<string, unknown>) => {
              const parts = describeAudit(d);
              return parts.length ? (
                <span data-testid="audit-details">
                  {parts.map((p) => (
                    <div key={p}>{p}</div>
                  ))}
                </span>
              ) : (
                "—"
              );
            },
          },
        ],
      }}
    />
  );
}
