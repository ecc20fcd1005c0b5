import { App, Button, Input, Modal, Segmented, Space, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api } from "../api";
import type { ConsoleCorrection } from "../api-types";
import { formatTime } from "../labels";
import { ListPage } from "../list-page";
import { useCan, useConsole } from "../session";

const STATUS_TAGS: Record<string, { label: string; color: string }> = {
  pending: { label: "待处理", color: "orange" },
  approved: { label: "已同意", color: "green" },
  refused: { label: "已拒绝", color: "default" },
};

/**
 * 换开申请: consumers' requests to issue an invoice again to a corrected buyer. 同意 reverses the
 * invoice and issues the corrected one (once); 拒绝 asks for a reason. The consumer is told either way.
 */
export default function CorrectionsPage() {
  const { orgId } = useConsole();
  const can = useCan();
  const { message } = App.useApp();
  const [status, setStatus] = useState<string>("pending");
  const [items, setItems] = useState<ConsoleCorrection[]>([]);
  const [loading, setLoading] = useState(false);
  const [refusing, setRefusing] = useState<ConsoleCorrection | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const q = status === "all" ? "" : `?status=${status}`;
      setItems((await api.get<{ items: ConsoleCorrection[] }>(`/orgs/${orgId}/corrections${q}`)).items);
    } finally {
      setLoading(false);
    }
  }, [orgId, status]);
  useEffect(() => {
    void load();
  }, [load]);

  const approve = async (c: ConsoleCorrection) => {
    setBusy(c.id);
    try {
      await api.post(`/orgs/${orgId}/corrections/${c.id}/approve`);
      message.success("已同意：原发票已红冲，并按新的购买方重新开具");
      await load();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };
  const refuse = async () => {
    if (!refusing) return;
    try {
      await api.post(`/orgs/${orgId}/corrections/${refusing.id}/refuse`, { reason: reason.trim() });
      message.success("已拒绝，并已通知消费者");
      setRefusing(null);
      setReason("");
      await load();
    } catch (e) {
      const fields = e instanceof ApiError ? Object.values(e.fields) : [];
      message.error(fields.length > 0 ? fields.join("；") : e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <>
      <ListPage<ConsoleCorrection, object>
        // A new status shows its first page.
        key={status}
        testId="corrections-table"
        total={items.length}
        actions={
          <Segmented
            value={status}
            onChange={(v) => setStatus(String(v))}
            options={[
              { value: "pending", label: "待处理" },
              { value: "approved", label: "已同意" },
              { value: "refused", label: "已拒绝" },
              { value: "all", label: "全部" },
            ]}
          />
        }
        table={{
          loading,
          dataSource: items,
          locale: { emptyText: "暂无换开申请" },
          columns: [
            { title: "申请时间", dataIndex: "createdAt", render: (t: string) => formatTime(t), width: 140 },
            {
              // A merged submission (合并开票): every receipt, the one submitted first.
              title: "订单号",
              width: 170,
              render: (_: unknown, c) => (
                <Space direction="vertical" size={0} data-testid={`order-nos-${c.id}`}>
                  {c.orderNos.map((n) => (
                    <Typography.Text key={n} ellipsis style={{ maxWidth: 150 }}>
                      {n}
                    </Typography.Text>
                  ))}
                  {c.orderNos.length > 1 ? <Tag>合并 {c.orderNos.length} 张小票</Tag> : null}
                </Space>
              ),
            },
            {
              // A split purchase (拆票) is re-issued whole: every invoice approval reverses.
              title: "原发票号码",
              width: 200,
              render: (_: unknown, c) =>
                c.toReissue.length > 1 ? (
                  <Space direction="vertical" size={0} data-testid={`to-reissue-${c.id}`}>
                    {c.toReissue.map((n) => (
                      <span key={n}>{n}</span>
                    ))}
                    <Tag color="blue">整单 {c.toReissue.length} 张一并重开</Tag>
                  </Space>
                ) : (
                  c.invoiceNumber
                ),
            },
            {
              title: "原因",
              width: 150,
              ellipsis: true,
              render: (_: unknown, c) => `${c.reasonLabel}${c.note ? `（${c.note}）` : ""}`,
            },
            {
              title: "原购买方 → 更正后",
              ellipsis: true,
              render: (_: unknown, c) =>
                `${c.oldBuyer.name} ${c.oldBuyer.taxId} → ${c.buyer.name} ${c.buyer.taxId}`,
            },
            {
              title: "状态",
              dataIndex: "status",
              width: 120,
              render: (s: string, c) => (
                <Space direction="vertical" size={0}>
                  <Tag color={STATUS_TAGS[s]?.color}>{STATUS_TAGS[s]?.label ?? s}</Tag>
                  {c.decidedBy === "auto" ? (
                    <Typography.Text type="secondary">按规则自动同意</Typography.Text>
                  ) : null}
                  {c.refusalReason ? (
                    <Typography.Text type="secondary">{c.refusalReason}</Typography.Text>
                  ) : null}
                </Space>
              ),
            },
            {
              title: "操作",
              width: 150,
              render: (_: unknown, c) =>
                c.status === "pending" && can("operate") ? (
                  <Space>
                    <Button
                      type="link"
                      size="small"
                      loading={busy === c.id}
                      data-testid={`approve-${c.id}`}
                      onClick={() => approve(c)}
                    >
                      同意并重开
                    </Button>
                    <Button type="link" size="small" danger onClick={() => setRefusing(c)}>
                      拒绝
                    </Button>
                  </Space>
                ) : null,
            },
          ],
        }}
      />
      <Modal
        title="拒绝重开申请"
        open={refusing !== null}
        onCancel={() => setRefusing(null)}
        onOk={refuse}
        okText="拒绝并通知消费者"
        okButtonProps={{ danger: true }}
        destroyOnHidden
      >
        <Input.TextArea
          rows={3}
          maxLength={200}
          placeholder="拒绝原因（会告知消费者）"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </Modal>
    </>
  );
}
