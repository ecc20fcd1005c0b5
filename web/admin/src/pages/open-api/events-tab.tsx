import { Button, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { WebhookAttempt, WebhookEvent } from "../../api-types";
import { formatTime } from "../../labels";
import { useConsole } from "../../session";
import { EVENT_STATUS, EVENT_TYPE_LABELS } from "./labels";

/** Seconds matter here (a retry ladder starts at one minute), so attempts show them. */
function formatSeconds(iso: string): string {
  const d = new Date(iso);
  return `${formatTime(iso)}:${String(d.getSeconds()).padStart(2, "0")}`;
}

function AttemptsTable({ event }: { event: WebhookEvent }) {
  return (
    <Table<WebhookAttempt>
      rowKey="attempt"
      size="small"
      pagination={false}
      dataSource={event.attempts}
      locale={{ emptyText: "尚未投递" }}
      data-testid={`attempts-${event.id}`}
      columns={[
        { title: "第几次", dataIndex: "attempt", width: 80, render: (n: number) => `第 ${n} 次` },
        { title: "投递时间", dataIndex: "at", width: 180, render: formatSeconds },
        {
          title: "结果",
          width: 120,
          render: (_, a) =>
            a.statusCode !== null ? (
              <Tag color={a.statusCode >= 200 && a.statusCode < 300 ? "green" : "red"}>
                HTTP {a.statusCode}
              </Tag>
            ) : (
              <Tag color="red">未响应</Tag>
            ),
        },
        { title: "错误", dataIndex: "error", render: (e: string | null) => e ?? "—" },
        {
          title: "耗时",
          dataIndex: "durationMs",
          width: 100,
          align: "right",
          render: (ms: number) => `${ms} ms`,
        },
      ]}
    />
  );
}

/** 事件通知记录: every event sent to the webhookUrl, with each attempt's status code and time. */
export function EventsTab() {
  const { orgId } = useConsole();
  const [rows, setRows] = useState<WebhookEvent[]>([]);
  const [loading, setLoading] = useState(true);
  const load = useCallback(() => {
    setLoading(true);
    return api
      .get<WebhookEvent[]>(`/orgs/${orgId}/webhook-events`)
      .then(setRows)
      .finally(() => setLoading(false));
  }, [orgId]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <div className="toolbar">
        <Typography.Text type="secondary">最近 50 条事件；展开一行查看每次投递的状态码与时间</Typography.Text>
        <Button onClick={() => void load()}>刷新</Button>
      </div>
      <Table<WebhookEvent>
        rowKey="id"
        size="middle"
        loading={loading}
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: "暂无事件通知" }}
        expandable={{ expandedRowRender: (e) => <AttemptsTable event={e} /> }}
        columns={[
          {
            title: "事件类型",
            dataIndex: "type",
            width: 130,
            render: (t: string) => (
              <div style={{ whiteSpace: "nowrap" }}>
                {EVENT_TYPE_LABELS[t] ?? t}
                <br />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t}
                </Typography.Text>
              </div>
            ),
          },
          {
            title: "事件编号",
            dataIndex: "id",
            render: (id: string) => (
              <Typography.Text
                copyable
                style={{ fontFamily: "monospace", fontSize: 12, whiteSpace: "nowrap" }}
              >
                {id}
              </Typography.Text>
            ),
          },
          {
            title: "关联发票",
            dataIndex: "invoiceId",
            width: 110,
            render: (id: string | null) =>
              id ? (
                <Typography.Text style={{ fontFamily: "monospace", fontSize: 12 }}>{id}</Typography.Text>
              ) : (
                "—"
              ),
          },
          {
            title: "状态",
            dataIndex: "status",
            width: 90,
            render: (s: string) => {
              const st = EVENT_STATUS[s] ?? { label: s, color: "default" };
              return <Tag color={st.color}>{st.label}</Tag>;
            },
          },
          { title: "次数", width: 64, align: "right", render: (_, e) => e.attempts.length },
          {
            title: "最近结果",
            width: 110,
            render: (_, e) => {
              const last = e.attempts.at(-1);
              if (!last) return "—";
              return last.statusCode !== null ? `HTTP ${last.statusCode}` : "未响应";
            },
          },
          {
            title: "创建时间",
            dataIndex: "createdAt",
            width: 150,
            render: (t: string) => <span style={{ whiteSpace: "nowrap" }}>{formatTime(t)}</span>,
          },
          { title: "下次重试", dataIndex: "nextAttemptAt", width: 150, render: formatTime },
        ]}
      />
    </>
  );
}
