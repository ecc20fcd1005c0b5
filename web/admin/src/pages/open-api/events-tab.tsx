import { App, Button, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { WebhookAttempt, WebhookEvent } from "../../api-types";
import { formatTime } from "../../labels";
import { CellText, ListPage } from "../../list-page";
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

/** A redelivery's attempt is made by the job queue within moments: the list looks again after this. */
const RECHECK_MS = 1500;

/**
 * 事件通知记录: every event sent to the webhookUrl, with each attempt's status code and time, the
 * invoice by its number, and 重新投递 (one more attempt now, recorded like the others).
 */
export function EventsTab() {
  const { orgId } = useConsole();
  const { message } = App.useApp();
  const [rows, setRows] = useState<WebhookEvent[]>([]);
  const [loading, setLoading] = useState(true);
  const [redelivering, setRedelivering] = useState<string | null>(null);
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

  const redeliver = async (e: WebhookEvent) => {
    setRedelivering(e.id);
    try {
      const { attempt } = await api.post<{ attempt: number }>(
        `/orgs/${orgId}/webhook-events/${e.id}/redeliver`,
      );
      message.success(`已重新投递（第 ${attempt} 次）`);
      await load();
      setTimeout(() => void load(), RECHECK_MS);
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setRedelivering(null);
    }
  };

  return (
    <ListPage<WebhookEvent, object>
      embedded
      testId="webhook-events"
      total={rows.length}
      actions={
        <>
          <Button onClick={() => void load()}>刷新</Button>
          <Typography.Text type="secondary">
            最近 50 条事件；展开一行查看每次投递的状态码与时间
          </Typography.Text>
        </>
      }
      table={{
        loading,
        dataSource: rows,
        locale: { emptyText: "暂无事件通知" },
        expandable: { expandedRowRender: (e) => <AttemptsTable event={e} /> },
        columns: [
          {
            title: "事件类型",
            dataIndex: "type",
            width: 140,
            render: (t: string) => (
              <>
                <CellText>{EVENT_TYPE_LABELS[t] ?? t}</CellText>
                <br />
                <Typography.Text type="secondary" ellipsis className="cell-text" style={{ fontSize: 12 }}>
                  {t}
                </Typography.Text>
              </>
            ),
          },
          {
            title: "事件编号",
            dataIndex: "id",
            ellipsis: true,
            render: (id: string) => <span style={{ fontFamily: "monospace", fontSize: 12 }}>{id}</span>,
          },
          {
            title: "发票号码",
            dataIndex: "invoiceNumber",
            width: 220,
            render: (n: string | null, e) =>
              n ? (
                <Typography.Text copyable style={{ fontFamily: "monospace" }} data-testid="event-invoice">
                  {n}
                </Typography.Text>
              ) : e.invoiceId ? (
                <Typography.Text type="secondary">尚无号码</Typography.Text>
              ) : (
                "—"
              ),
          },
          {
            title: "状态",
            dataIndex: "status",
            width: 88,
            render: (s: string) => {
              const st = EVENT_STATUS[s] ?? { label: s, color: "default" };
              return <Tag color={st.color}>{st.label}</Tag>;
            },
          },
          {
            title: "投递",
            width: 130,
            render: (_, e) => {
              const last = e.attempts.at(-1);
              const result = !last
                ? ""
                : last.statusCode !== null
                  ? ` · HTTP ${last.statusCode}`
                  : " · 未响应";
              return (
                <span data-testid="event-attempts" data-count={e.attempts.length}>
                  {e.attempts.length} 次{result}
                </span>
              );
            },
          },
          {
            title: "创建 / 下次重试",
            dataIndex: "createdAt",
            width: 150,
            render: (t: string, e) => (
              <>
                {formatTime(t)}
                {e.nextAttemptAt && (
                  <>
                    <br />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      下次 {formatTime(e.nextAttemptAt)}
                    </Typography.Text>
                  </>
                )}
              </>
            ),
          },
          {
            title: "操作",
            width: 96,
            render: (_, e) => (
              <Button
                type="link"
                size="small"
                loading={redelivering === e.id}
                onClick={() => void redeliver(e)}
                data-testid={`redeliver-${e.id}`}
              >
                重新投递
              </Button>
            ),
          },
        ],
      }}
    />
  );
}
