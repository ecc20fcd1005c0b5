import { App, Button, Card, Form, Input, InputNumber, Segmented, Space, Tag, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { api, query } from "../api";
import type { ExceptionItem, ExceptionList, ExceptionSettings } from "../api-types";
import { refreshAttention } from "../attention";
import { formatTime } from "../labels";
import { ListPage } from "../list-page";
import { navigate } from "../router";
import { useCan, useConsole } from "../session";
import { InvoiceDetailDrawer } from "./invoices/invoice-detail-drawer";

/** The actions done by the server (the kind's existing service function); the others open a page. */
const SERVER_ACTIONS = new Set(["retry", "resend", "issue_now"]);

/**
 * 异常中心: everything needing an operator across the organizations the user sees (or the current
 * one), each with its one-click action; the thresholds below for the organization's admins.
 */
export default function ExceptionsPage() {
  const { message } = App.useApp();
  const { orgId, session, setOrgId } = useConsole();
  const [scope, setScope] = useState<"org" | "all">(session.organizations.length > 1 ? "all" : "org");
  const [kind, setKind] = useState<string>("");
  const [data, setData] = useState<ExceptionList>({ items: [], kinds: [] });
  const [loading, setLoading] = useState(false);
  const [acting, setActing] = useState<string | null>(null);
  const [opened, setOpened] = useState<{ orgId: string; id: string; reverse: boolean } | null>(null);
  const orgs = useMemo(() => new Map(session.organizations.map((o) => [o.id, o])), [session.organizations]);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setData(
        await api.get<ExceptionList>(
          `/exceptions${query({ orgId: scope === "org" ? orgId : undefined, kind: kind || undefined })}`,
        ),
      );
    } finally {
      setLoading(false);
    }
  }, [scope, orgId, kind]);
  useEffect(() => {
    void load();
  }, [load]);
  const changed = () => {
    void load();
    refreshAttention();
  };

  const act = async (item: ExceptionItem) => {
    const key = item.action.key;
    if (SERVER_ACTIONS.has(key)) {
      setActing(item.id);
      try {
        await api.post(`/orgs/${item.orgId}/exceptions/${item.kind}/${item.id}/action`);
        message.success(`${item.action.label}：已处理`);
        changed();
      } catch (e) {
        message.error(e instanceof Error ? e.message : String(e));
        changed();
      } finally {
        setActing(null);
      }
    } else if ((key === "reverse" || key === "open_invoice") && item.invoiceId) {
      setOpened({ orgId: item.orgId, id: item.invoiceId, reverse: key === "reverse" });
    } else {
      // Pages of one organization: switch to the item's first.
      if (item.orgId !== orgId) setOrgId(item.orgId);
      navigate(key === "reauthenticate" ? "/base-data?tab=tax" : "/receipt-codes");
    }
  };
  const mayOperate = (id: string) => orgs.get(id)?.role !== "viewer";

  const total = data.kinds.reduce((n, k) => n + k.count, 0);
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <ListPage<ExceptionItem, object>
        testId="exceptions-table"
        total={data.items.length}
        actions={
          <Space wrap>
            {session.organizations.length > 1 && (
              <Segmented
                value={scope}
                onChange={(v) => setScope(v as "org" | "all")}
                options={[
                  { value: "all", label: "全部组织" },
                  { value: "org", label: "当前组织" },
                ]}
                data-testid="exceptions-scope"
              />
            )}
            <Segmented
              value={kind}
              onChange={(v) => setKind(String(v))}
              options={[
                { value: "", label: `全部 ${kind ? "" : total}` },
                ...data.kinds.map((k) => ({ value: k.kind, label: `${k.label} ${k.count}` })),
              ]}
              className="segmented-wrap"
              data-testid="exceptions-kinds"
            />
          </Space>
        }
        table={{
          rowKey: (r) => `${r.kind}:${r.id}`,
          loading,
          dataSource: data.items,
          locale: { emptyText: "暂无异常" },
          columns: [
            {
              title: "类型",
              dataIndex: "kindLabel",
              width: 150,
              render: (v: string) => <Tag color="red">{v}</Tag>,
            },
            ...(scope === "all" && session.organizations.length > 1
              ? [
                  {
                    title: "组织",
                    dataIndex: "orgId",
                    width: 160,
                    ellipsis: true,
                    render: (id: string) => orgs.get(id)?.name ?? id,
                  },
                ]
              : []),
            { title: "对象", dataIndex: "subject", width: 200, ellipsis: true },
            {
              title: "说明",
              dataIndex: "detail",
              ellipsis: true,
              render: (v: string) => <Typography.Text type="secondary">{v}</Typography.Text>,
            },
            { title: "时间", dataIndex: "at", width: 140, render: (v: string | null) => formatTime(v) },
            {
              title: "操作",
              width: 120,
              render: (_, item) => (
                <Button
                  size="small"
                  type={SERVER_ACTIONS.has(item.action.key) ? "primary" : "default"}
                  loading={acting === item.id}
                  disabled={SERVER_ACTIONS.has(item.action.key) && !mayOperate(item.orgId)}
                  onClick={() => act(item)}
                  data-testid={`exception-action-${item.id}`}
                >
                  {item.action.label}
                </Button>
              ),
            },
          ],
        }}
      />
      <ThresholdsCard />
      <InvoiceDetailDrawer
        orgId={opened?.orgId ?? orgId}
        orgName={orgs.get(opened?.orgId ?? orgId)?.name}
        invoiceId={opened?.id ?? null}
        startReversing={opened?.reverse}
        onClose={() => setOpened(null)}
        onOpen={(id) => setOpened((o) => (o ? { ...o, id, reverse: false } : o))}
        onChanged={changed}
      />
    </Space>
  );
}

/** The current organization's thresholds (admins change them). */
function ThresholdsCard() {
  const { message } = App.useApp();
  const { orgId } = useConsole();
  const can = useCan();
  const [form] = Form.useForm<ExceptionSettings>();
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    void api.get<ExceptionSettings>(`/orgs/${orgId}/exception-settings`).then((s) => form.setFieldsValue(s));
  }, [orgId, form]);
  const save = async (values: ExceptionSettings) => {
    setSaving(true);
    try {
      const creditThreshold = values.creditThreshold ? String(values.creditThreshold) : null;
      form.setFieldsValue(await api.put(`/orgs/${orgId}/exception-settings`, { ...values, creditThreshold }));
      message.success("已保存");
      refreshAttention();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Card className="page-card" title="当前组织的异常阈值">
      <Form form={form} layout="inline" onFinish={save} disabled={!can("administer")}>
        <Form.Item name="stuckMinutes" label="待开具/开具中超过（分钟）" rules={[{ required: true }]}>
          <InputNumber min={1} max={10080} precision={0} />
        </Form.Item>
        <Form.Item name="expiringDays" label="小票码过期前（天）" rules={[{ required: true }]}>
          <InputNumber min={1} max={365} precision={0} />
        </Form.Item>
        <Form.Item name="creditThreshold" label="授信额度低于（元，留空不提醒）">
          <Input style={{ width: 140 }} />
        </Form.Item>
        <Form.Item>
          <Button htmlType="submit" loading={saving}>
            保存
          </Button>
        </Form.Item>
      </Form>
    </Card>
  );
}
