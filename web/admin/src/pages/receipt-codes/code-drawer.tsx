import {
  App,
  Button,
  Descriptions,
  Drawer,
  Empty,
  QRCode,
  Skeleton,
  Space,
  Table,
  Tag,
  Timeline,
  Typography,
} from "antd";
import { useEffect, useState } from "react";
import { api } from "../../api";
import type { InvoiceStatus, ReceiptCodeHistory, ReceiptCodeSummary } from "../../api-types";
import { AUDIT_ACTIONS, formatTime, INVOICE_TYPE_LABELS, SOURCE_LABELS, STATUS } from "../../labels";
import { describeAudit } from "../audit/describe";
import { InvoiceDetailDrawer } from "../invoices/invoice-detail-drawer";
import { RefundsList } from "../invoices/invoice-detail-sections";
import { INVOICE_STATUS, yuan } from "../invoices/invoice-labels";

type HistoryEvent = ReceiptCodeHistory["events"][number];
type CodeInvoice = ReceiptCodeHistory["invoices"][number];

/** The history's own events, and actions the 操作日志 list does not name yet. */
const EVENT_LABELS: Record<string, string> = {
  "receipt_code.first_scan": "消费者首次扫码",
  "receipt_code.merged": "合并到其他小票开票",
  "receipt_code.refund": "退款",
  "invoice.reissue": "红冲并重开",
  "invoice.review_approve": "审核通过",
  "invoice.review_decline": "审核拒绝",
};
const EVENT_COLORS: Record<string, string> = {
  "receipt_code.disable": "red",
  "invoice.failed": "red",
  "invoice.issued": "green",
  "invoice.reverse": "orange",
  "receipt_code.refund": "orange",
};

/** Who did it: the console user by name; the consumer, the system and the open API by kind. */
function actorOf(e: HistoryEvent): string {
  if (e.actorType === "user") return e.actorName;
  if (e.actorType === "consumer") return "消费者";
  if (e.actorType === "app") return `接口 ${e.actorName}`;
  return "系统";
}

function eventText(e: HistoryEvent): string {
  if (e.action === "receipt_code.merged") return `并入小票 ${String(e.details.intoSerialNo ?? "")} 一起开票`;
  return describeAudit(e.details).join("；");
}

/**
 * 详情 of a receipt code from the list: its QR and link (复制链接), 开票码, scans; what happened to
 * it (created, printed, disabled, submitted, issued, refunded, merged…), its invoices — each opens
 * the invoice's own detail — and its refunds.
 */
export function CodeDrawer(props: { orgId: string; code: ReceiptCodeSummary | null; onClose(): void }) {
  const { message } = App.useApp();
  const code = props.code;
  const [history, setHistory] = useState<ReceiptCodeHistory | null>(null);
  const [invoiceId, setInvoiceId] = useState<string | null>(null);
  useEffect(() => {
    setHistory(null);
    if (!code) return;
    let live = true;
    api
      .get<ReceiptCodeHistory>(`/orgs/${props.orgId}/receipt-codes/${code.id}/history`)
      .then((h) => live && setHistory(h))
      .catch((e) => live && message.error(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [code, props.orgId, message]);

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      message.success("已复制开票链接");
    } catch {
      message.error("无法访问剪贴板，请手动选中链接复制");
    }
  };
  return (
    <Drawer
      title={code ? `小票码详情 ${code.serialNo}` : ""}
      open={code !== null}
      onClose={props.onClose}
      width={720}
      destroyOnHidden
    >
      {code && (
        <Space direction="vertical" size="middle" style={{ width: "100%" }} data-testid="code-detail">
          <div style={{ display: "flex", gap: 16, alignItems: "flex-start" }}>
            <div style={{ textAlign: "center" }}>
              <QRCode value={code.url} size={148} bordered data-testid="code-qr" />
              <Typography.Text strong style={{ fontFamily: "monospace", fontSize: 16 }}>
                开票码 <span data-testid="code-short">{code.shortCode}</span>
              </Typography.Text>
            </div>
            <Descriptions bordered size="small" column={2} style={{ flex: 1 }}>
              <Descriptions.Item label="状态">
                <Tag color={STATUS[code.status].color}>{STATUS[code.status].label}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label="扫码次数">
                <span data-testid="code-scans">{code.scanCount}</span>
              </Descriptions.Item>
              <Descriptions.Item label="来源">{SOURCE_LABELS[code.source] ?? code.source}</Descriptions.Item>
              <Descriptions.Item label="价税合计">{yuan(code.totals.totalAmount)}</Descriptions.Item>
              <Descriptions.Item label="创建时间">{formatTime(code.createdAt)}</Descriptions.Item>
              <Descriptions.Item label="有效期至">{formatTime(code.expiresAt)}</Descriptions.Item>
              <Descriptions.Item label="开票链接" span={2}>
                <Space wrap>
                  <Typography.Text data-testid="code-url">{code.url}</Typography.Text>
                  <Button size="small" onClick={() => copy(code.url)} data-testid="code-copy">
                    复制链接
                  </Button>
                </Space>
              </Descriptions.Item>
            </Descriptions>
          </div>

          <Typography.Title level={5}>发票</Typography.Title>
          {history ? (
            <Table<CodeInvoice>
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={history.invoices}
              data-testid="code-invoices"
              locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="尚未开票" /> }}
              columns={[
                {
                  title: "发票号码",
                  dataIndex: "number",
                  render: (n: string | null, r) => (
                    <Space size={4}>
                      {r.color === "red" && <Tag color="red">红字</Tag>}
                      <Typography.Link onClick={() => setInvoiceId(r.id)} data-testid="code-invoice-link">
                        {n ?? "（未开具）"}
                      </Typography.Link>
                    </Space>
                  ),
                },
                {
                  title: "类型",
                  dataIndex: "invoiceType",
                  render: (t: string) => INVOICE_TYPE_LABELS[t] ?? t,
                },
                { title: "购买方", dataIndex: "buyerName", ellipsis: true },
                {
                  title: "价税合计",
                  dataIndex: "totalAmount",
                  align: "right",
                  render: (a: string) => yuan(a),
                },
                {
                  title: "状态",
                  dataIndex: "status",
                  render: (s: string) => {
                    const st = INVOICE_STATUS[s as InvoiceStatus];
                    return <Tag color={st?.color}>{st?.label ?? s}</Tag>;
                  },
                },
                { title: "开票时间", dataIndex: "issuedAt", render: (t: string | null) => formatTime(t) },
              ]}
            />
          ) : (
            <Skeleton active paragraph={{ rows: 2 }} />
          )}

          <RefundsList url={`/orgs/${props.orgId}/receipt-codes/${code.id}/refunds`} />

          <Typography.Title level={5}>状态记录</Typography.Title>
          {history ? (
            <Timeline
              data-testid="code-history"
              items={history.events.map((e) => ({
                color: EVENT_COLORS[e.action] ?? "blue",
                children: (
                  <div data-testid="code-history-event">
                    <Space size={8} wrap>
                      <Typography.Text strong>
                        {AUDIT_ACTIONS[e.action] ?? EVENT_LABELS[e.action] ?? e.action}
                      </Typography.Text>
                      <Typography.Text type="secondary">{formatTime(e.at)}</Typography.Text>
                      <Typography.Text type="secondary">{actorOf(e)}</Typography.Text>
                    </Space>
                    {eventText(e) && <div>{eventText(e)}</div>}
                  </div>
                ),
              }))}
            />
          ) : (
            <Skeleton active paragraph={{ rows: 3 }} />
          )}
        </Space>
      )}
      <InvoiceDetailDrawer
        orgId={props.orgId}
        invoiceId={invoiceId}
        onClose={() => setInvoiceId(null)}
        onOpen={setInvoiceId}
        onChanged={() => {}}
      />
    </Drawer>
  );
}
