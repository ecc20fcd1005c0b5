import { App, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { api, query } from "../api";
import type { InvoiceSummary, Page, ReviewRule } from "../api-types";
import { refreshAttention } from "../attention";
import { formatTime, INVOICE_TYPE_LABELS, INVOICE_TYPE_OPTIONS } from "../labels";
import { ListPage } from "../list-page";
import { yuan } from "../money";
import { useCan, useConsole } from "../session";
import { InvoiceDetailDrawer } from "./invoices/invoice-detail-drawer";

const SOURCES: Record<string, string> = {
  manual: "扫码（小票码）",
  link: "开放接口（订单链接）",
  push: "推送订单",
};
const BUYERS: Record<string, string> = { enterprise: "企业/单位", personal: "个人" };

/**
 * 待审核 (审核开票): submissions one of the organization's rules held, approved (issued at once) or
 * declined with a reason the consumer is told; the rules below, kept by the organization's admins.
 */
export default function ReviewPage() {
  const { message } = App.useApp();
  const { orgId, session } = useConsole();
  const allOrgs = session.organizations.length > 1;
  const orgs = useMemo(() => new Map(session.organizations.map((o) => [o.id, o])), [session.organizations]);
  const [data, setData] = useState<InvoiceSummary[]>([]);
  const [loading, setLoading] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [declining, setDeclining] = useState<InvoiceSummary | null>(null);
  const [opened, setOpened] = useState<{ orgId: string; id: string } | null>(null);
  const [reason] = Form.useForm<{ reason: string }>();

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const path = allOrgs ? "/invoices" : `/orgs/${orgId}/invoices`;
      const page = await api.get<Page<InvoiceSummary>>(
        `${path}${query({ status: "awaiting_review", pageSize: 200 })}`,
      );
      setData(page.items);
    } finally {
      setLoading(false);
    }
  }, [allOrgs, orgId]);
  useEffect(() => {
    void load();
  }, [load]);
  const changed = () => {
    void load();
    refreshAttention();
  };

  const approve = async (i: InvoiceSummary) => {
    setBusy(i.id);
    try {
      const after = await api.post<{ status: string; number: string | null }>(
        `/orgs/${i.orgId}/invoices/${i.id}/approve`,
      );
      message.success(
        after.status === "issued" ? `已通过并开具，发票号码 ${after.number}` : "已通过，开具中",
      );
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
      changed();
    }
  };
  const decline = async ({ reason: text }: { reason: string }) => {
    if (!declining) return;
    try {
      await api.post(`/orgs/${declining.orgId}/invoices/${declining.id}/decline`, { reason: text });
      message.success("已拒绝，已通知消费者");
      setDeclining(null);
      reason.resetFields();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      changed();
    }
  };
  const mayOperate = (id: string) => orgs.get(id)?.role !== "viewer";

  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <ListPage<InvoiceSummary, object>
        testId="review-table"
        total={data.length}
        table={{
          loading,
          dataSource: data,
          locale: { emptyText: "暂无待审核的开票申请" },
          columns: [
            ...(allOrgs
              ? [
                  {
                    title: "组织",
                    dataIndex: "orgId",
                    width: 150,
                    ellipsis: true,
                    render: (id: string) => orgs.get(id)?.name ?? id,
                  },
                ]
              : []),
            { title: "小票流水号", dataIndex: "serialNo", width: 160, ellipsis: true },
            { title: "购买方", dataIndex: "buyerName", ellipsis: true },
            {
              title: "发票类型",
              dataIndex: "invoiceType",
              width: 150,
              ellipsis: true,
              render: (v: string) => INVOICE_TYPE_LABELS[v] ?? v,
            },
            {
              title: "价税合计",
              width: 120,
              align: "right",
              className: "money",
              render: (_, i) => yuan(i.totals.totalAmount),
            },
            { title: "提交时间", dataIndex: "createdAt", width: 140, render: (v: string) => formatTime(v) },
            {
              title: "操作",
              width: 190,
              render: (_, i) => (
                <Space>
                  <Button size="small" onClick={() => setOpened({ orgId: i.orgId, id: i.id })}>
                    详情
                  </Button>
                  <Button
                    size="small"
                    type="primary"
                    loading={busy === i.id}
                    disabled={!mayOperate(i.orgId)}
                    onClick={() => approve(i)}
                    data-testid={`approve-${i.id}`}
                  >
                    通过
                  </Button>
                  <Button
                    size="small"
                    danger
                    disabled={!mayOperate(i.orgId) || busy === i.id}
                    onClick={() => setDeclining(i)}
                    data-testid={`decline-${i.id}`}
                  >
                    拒绝
                  </Button>
                </Space>
              ),
            },
          ],
        }}
      />
      <RulesCard />
      <Modal
        open={Boolean(declining)}
        title="拒绝开票申请"
        okText="拒绝并通知消费者"
        okButtonProps={{ danger: true }}
        onOk={() => reason.submit()}
        onCancel={() => setDeclining(null)}
        destroyOnHidden
      >
        <Form form={reason} layout="vertical" onFinish={decline}>
          <Form.Item
            name="reason"
            label="拒绝原因（消费者可见）"
            rules={[{ required: true, message: "请填写拒绝原因" }]}
          >
            <Input.TextArea maxLength={200} showCount />
          </Form.Item>
        </Form>
      </Modal>
      <InvoiceDetailDrawer
        orgId={opened?.orgId ?? orgId}
        orgName={orgs.get(opened?.orgId ?? orgId)?.name}
        invoiceId={opened?.id ?? null}
        onClose={() => setOpened(null)}
        onOpen={(id) => setOpened((o) => (o ? { ...o, id } : o))}
        onChanged={changed}
      />
    </Space>
  );
}

type RuleForm = { source?: string; invoiceType?: string; minAmount?: string; buyerType?: string };

/** The current organization's 审核规则: a submission matching every condition of one rule is held. */
function RulesCard() {
  const { message } = App.useApp();
  const { orgId } = useConsole();
  const can = useCan();
  const [rules, setRules] = useState<ReviewRule[]>([]);
  const [form] = Form.useForm<RuleForm>();
  const load = useCallback(async () => {
    setRules(await api.get<ReviewRule[]>(`/orgs/${orgId}/review-rules`));
  }, [orgId]);
  useEffect(() => {
    void load();
  }, [load]);
  const add = async (values: RuleForm) => {
    try {
      await api.post(`/orgs/${orgId}/review-rules`, {
        source: values.source || null,
        invoiceType: values.invoiceType || null,
        minAmount: values.minAmount || null,
        buyerType: values.buyerType || null,
      });
      form.resetFields();
      message.success("已添加审核规则");
      await load();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    }
  };
  const remove = async (id: string) => {
    await api.delete(`/orgs/${orgId}/review-rules/${id}`);
    await load();
  };
  const any = <Typography.Text type="secondary">不限</Typography.Text>;
  return (
    <Card className="page-card" title="审核规则（当前组织；没有规则时提交即开具）">
      <Table<ReviewRule>
        rowKey="id"
        size="small"
        dataSource={rules}
        pagination={false}
        locale={{ emptyText: "未设置审核规则" }}
        columns={[
          { title: "来源", dataIndex: "source", render: (v: string | null) => (v ? SOURCES[v] : any) },
          {
            title: "发票类型",
            dataIndex: "invoiceType",
            render: (v: string | null) => (v ? INVOICE_TYPE_LABELS[v] : any),
          },
          { title: "金额高于", dataIndex: "minAmount", render: (v: string | null) => (v ? yuan(v) : any) },
          { title: "购买方", dataIndex: "buyerType", render: (v: string | null) => (v ? BUYERS[v] : any) },
          ...(can("administer")
            ? [
                {
                  title: "",
                  render: (_: unknown, r: ReviewRule) => (
                    <Popconfirm title="删除这条规则？" onConfirm={() => remove(r.id)}>
                      <Button size="small" type="link" danger>
                        删除
                      </Button>
                    </Popconfirm>
                  ),
                },
              ]
            : []),
        ]}
      />
      {can("administer") && (
        <Form form={form} layout="inline" onFinish={add} style={{ marginTop: 16 }}>
          <Form.Item name="source">
            <Select
              allowClear
              placeholder="来源不限"
              style={{ width: 170 }}
              options={Object.entries(SOURCES).map(([value, label]) => ({ value, label }))}
            />
          </Form.Item>
          <Form.Item name="invoiceType">
            <Select
              allowClear
              placeholder="发票类型不限"
              style={{ width: 220 }}
              options={INVOICE_TYPE_OPTIONS}
            />
          </Form.Item>
          <Form.Item name="minAmount">
            <Input placeholder="金额高于（元）" style={{ width: 140 }} />
          </Form.Item>
          <Form.Item name="buyerType">
            <Select
              allowClear
              placeholder="购买方不限"
              style={{ width: 130 }}
              options={Object.entries(BUYERS).map(([value, label]) => ({ value, label }))}
            />
          </Form.Item>
          <Form.Item>
            <Button htmlType="submit">添加规则</Button>
          </Form.Item>
        </Form>
      )}
    </Card>
  );
}
