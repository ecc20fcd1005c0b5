import { Collapse, Empty, Space, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { api } from "../../api";
import type { ConsoleRefund, InvoiceDetail } from "../../api-types";
import { formatTime } from "../../labels";
import { DELIVERY_REASON, DELIVERY_STATUS, yuan } from "./invoice-labels";

const KIND: Record<string, string> = { normal: "", discounted: "被折扣", discount: "折扣" };

export function LinesTable({ lines }: { lines: InvoiceDetail["lines"] }) {
  return (
    <Table
      rowKey={(_, i) => String(i)}
      size="small"
      pagination={false}
      dataSource={lines}
      columns={[
        {
          title: "项目名称",
          dataIndex: "itemName",
          render: (name: string, l) => (
            <>
              {name} {KIND[l.kind] && <Tag>{KIND[l.kind]}</Tag>}
            </>
          ),
        },
        { title: "规格型号", dataIndex: "spec" },
        { title: "单位", dataIndex: "unit", width: 60 },
        { title: "数量", dataIndex: "quantity", align: "right", width: 80 },
        { title: "单价", dataIndex: "unitPrice", align: "right", width: 100 },
        { title: "金额", dataIndex: "amountExcludingTax", align: "right", render: (a: string) => yuan(a) },
        { title: "税率", dataIndex: "taxRateLabel", align: "right", width: 70 },
        { title: "税额", dataIndex: "tax", align: "right", render: (a: string) => yuan(a) },
      ]}
    />
  );
}

/** Every sending of the invoice: who, how, what came of it and the last error if any. */
export function DeliveriesTable({ deliveries }: { deliveries: InvoiceDetail["deliveries"] }) {
  return (
    <Table
      rowKey="id"
      size="small"
      pagination={false}
      dataSource={deliveries}
      data-testid="deliveries"
      locale={{ emptyText: <Empty description="没有交付记录（购买方未留邮箱或手机号）" /> }}
      columns={[
        {
          title: "渠道",
          dataIndex: "channel",
          width: 70,
          render: (c: string) => (c === "email" ? "邮件" : "短信"),
        },
        { title: "接收方", dataIndex: "recipient" },
        { title: "触发", dataIndex: "reason", width: 120, render: (r: string) => DELIVERY_REASON[r] ?? r },
        {
          title: "状态",
          dataIndex: "status",
          width: 90,
          render: (s: string) => (
            <Tag color={DELIVERY_STATUS[s]?.color}>{DELIVERY_STATUS[s]?.label ?? s}</Tag>
          ),
        },
        { title: "尝试", dataIndex: "attempts", width: 60, align: "right" },
        {
          title: "原因",
          dataIndex: "lastError",
          ellipsis: true,
          render: (e: string | null) => (e ? <Typography.Text type="danger">{e}</Typography.Text> : "—"),
        },
        {
          title: "时间",
          width: 150,
          render: (_, d) => (
            <span data-testid="delivery-time">
              {formatTime(d.status === "bounced" ? (d.bouncedAt ?? d.updatedAt) : (d.sentAt ?? d.updatedAt))}
            </span>
          ),
        },
      ]}
    />
  );
}

const CARD_STATUS: Record<string, { label: string; color: string }> = {
  none: { label: "未加入", color: "default" },
  authorizing: { label: "授权中", color: "processing" },
  inserted: { label: "已加入", color: "green" },
  failed: { label: "失败", color: "red" },
  voiding: { label: "作废中", color: "orange" },
  voided: { label: "已作废（已红冲）", color: "default" },
};

/** 微信卡包: whether the consumer added the invoice to WeChat's 卡包, and WeChat's words when it failed. */
export function WechatCardState({ card }: { card: InvoiceDetail["wechatCard"] }) {
  return (
    <Space data-testid="wechat-card">
      <Tag color={CARD_STATUS[card.status]?.color} data-testid="wechat-card-status">
        {CARD_STATUS[card.status]?.label ?? card.status}
      </Tag>
      {card.at && <Typography.Text type="secondary">{formatTime(card.at)}</Typography.Text>}
      {card.error && <Typography.Text type="danger">{card.error}</Typography.Text>}
    </Space>
  );
}

const WEBHOOK_STATUS: Record<string, { label: string; color: string }> = {
  pending: { label: "推送中", color: "processing" },
  delivered: { label: "已送达", color: "green" },
  failed: { label: "已放弃", color: "red" },
};

/** The invoice.* events sent to the organization's webhookUrl, each attempt with its answer. */
export function WebhooksList({ webhooks }: { webhooks: InvoiceDetail["webhooks"] }) {
  if (webhooks.length === 0)
    return <Typography.Text type="secondary">未配置 Webhook，或尚无事件。</Typography.Text>;
  return (
    <Collapse
      size="small"
      items={webhooks.map((w) => ({
        key: w.id,
        label: (
          <>
            {w.type}{" "}
            <Tag color={WEBHOOK_STATUS[w.status]?.color}>{WEBHOOK_STATUS[w.status]?.label ?? w.status}</Tag>
            <Typography.Text type="secondary">
              {formatTime(w.createdAt)} · {w.attempts.length} 次尝试
            </Typography.Text>
          </>
        ),
        children: (
          <Table
            rowKey="attempt"
            size="small"
            pagination={false}
            dataSource={w.attempts}
            columns={[
              { title: "#", dataIndex: "attempt", width: 40 },
              { title: "地址", dataIndex: "url", ellipsis: true },
              {
                title: "HTTP",
                dataIndex: "statusCode",
                width: 70,
                render: (c: number | null) => c ?? "无应答",
              },
              { title: "错误", dataIndex: "error", ellipsis: true, render: (e: string | null) => e ?? "—" },
              { title: "耗时", dataIndex: "durationMs", width: 80, render: (ms: number) => `${ms} ms` },
              { title: "时间", dataIndex: "at", width: 150, render: (t: string) => formatTime(t) },
            ]}
          />
        ),
      }))}
    />
  );
}

/** 退款: the merchant's refunds (open API) of a receipt code or an invoice, and what each did. */
export function RefundsList(props: { url: string }) {
  const [items, setItems] = useState<ConsoleRefund[] | null>(null);
  useEffect(() => {
    let live = true;
    api
      .get<{ items: ConsoleRefund[] }>(props.url)
      .then((r) => live && setItems(r.items))
      .catch(() => live && setItems([]));
    return () => {
      live = false;
    };
  }, [props.url]);
  if (!items || items.length === 0) return null;
  return (
    <>
      <Typography.Title level={5}>退款</Typography.Title>
      <Table<ConsoleRefund>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={items}
        data-testid="refunds"
        columns={[
          { title: "退款单号", dataIndex: "refundNo" },
          // A merged invoice (合并开票) carries the refunds of each of its receipts' orders.
          { title: "订单号", dataIndex: "orderNo" },
          { title: "原因", dataIndex: "reason" },
          {
            title: "金额",
            dataIndex: "totalAmount",
            align: "right",
            render: (a: string | null) => yuan(a),
          },
          {
            title: "处理",
            dataIndex: "statusLabel",
            render: (label: string, r) => (
              <>
                <Tag color={r.status === "manual" ? "red" : undefined}>{label}</Tag>
                {r.note ? <Typography.Text type="secondary">{r.note}</Typography.Text> : null}
              </>
            ),
          },
          { title: "时间", dataIndex: "createdAt", render: (t: string) => formatTime(t) },
        ]}
      />
    </>
  );
}
