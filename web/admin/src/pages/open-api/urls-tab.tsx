import { Alert, App, Button, Form, Input, Skeleton, Space, Typography } from "antd";
import { useEffect, useRef, useState } from "react";
import { api } from "../../api";
import type { OpenApiSettings, WebhookEvent, WebhookTestResult } from "../../api-types";
import { clearChangedErrors, showFieldErrors } from "../../form-errors";
import { formatTime } from "../../labels";
import { useConsole } from "../../session";

const FIELDS = ["orderQueryUrl", "webhookUrl"];

type Outcome = { type: "success" | "error" | "info"; text: string };

/** What one delivered (or not yet delivered) test event means for the person who pressed the button. */
function describeOutcome(event: WebhookEvent | undefined): Outcome | null {
  const last = event?.attempts.at(-1);
  if (!event || !last) return null;
  if (event.status === "delivered")
    return {
      type: "success",
      text: `测试事件已送达：对方返回 HTTP ${last.statusCode}，用时 ${last.durationMs} ms`,
    };
  const why = last.error ?? `HTTP ${last.statusCode}`;
  const next = event.nextAttemptAt ? `，将于 ${formatTime(event.nextAttemptAt)} 重试` : "";
  return { type: "error", text: `测试事件投递失败：${why}${next}` };
}

/** 接口地址: where Piaoma queries orders (3.1.02) and sends its signed event notifications. */
export function UrlsTab() {
  const { orgId } = useConsole();
  const { message } = App.useApp();
  const [form] = Form.useForm<OpenApiSettings>();
  const [saved, setSaved] = useState<OpenApiSettings | null>(null);
  const [banner, setBanner] = useState<string[]>([]);
  const [busy, setBusy] = useState<"save" | "test" | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  // The page may be left while a test delivery is being watched; stop watching then. Set on every
  // mount, since React may mount, unmount and mount again (StrictMode).
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  useEffect(() => {
    void api.get<OpenApiSettings>(`/orgs/${orgId}/open-api`).then((s) => {
      form.setFieldsValue(s);
      setSaved(s);
    });
  }, [orgId, form]);

  const save = async (values: OpenApiSettings) => {
    setBanner([]);
    setBusy("save");
    try {
      const next = await api.put<OpenApiSettings>(`/orgs/${orgId}/open-api`, {
        orderQueryUrl: values.orderQueryUrl?.trim() || null,
        webhookUrl: values.webhookUrl?.trim() || null,
      });
      form.setFieldsValue(next);
      setSaved(next);
      message.success("接口地址已保存");
    } catch (e) {
      setBanner(showFieldErrors(form, e, FIELDS));
    } finally {
      setBusy(null);
    }
  };

  /** Queues the test event, then watches it for a while so the result shows here, not only in the log. */
  const sendTest = async () => {
    setBanner([]);
    setOutcome(null);
    setBusy("test");
    try {
      const { eventId } = await api.post<WebhookTestResult>(`/orgs/${orgId}/open-api/webhook-test`);
      setOutcome({ type: "info", text: `测试事件 ${eventId} 已提交，正在投递…` });
      const end = Date.now() + 15_000;
      while (alive.current && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 800));
        const events = await api.get<WebhookEvent[]>(`/orgs/${orgId}/webhook-events`);
        const result = describeOutcome(events.find((e) => e.id === eventId));
        if (result) {
          if (alive.current) setOutcome(result);
          return;
        }
      }
      if (alive.current)
        setOutcome({ type: "info", text: `测试事件 ${eventId} 仍在投递中，结果请在「事件通知记录」中查看` });
    } catch (e) {
      setBanner(showFieldErrors(form, e, FIELDS));
      setOutcome(null);
    } finally {
      if (alive.current) setBusy(null);
    }
  };

  if (!saved) return <Skeleton active />;
  return (
    <div style={{ maxWidth: 880 }}>
      {banner.length > 0 && (
        <Alert type="error" showIcon message={banner.join("；")} style={{ marginBottom: 16 }} />
      )}
      {saved.allowPrivateUrls && (
        <Alert
          type="info"
          showIcon
          message="本部署允许内网与本机地址（PIAOMA_ALLOW_PRIVATE_URLS=true），仅建议用于测试环境"
          style={{ marginBottom: 16 }}
        />
      )}
      <Form
        form={form}
        layout="vertical"
        onFinish={save}
        onValuesChange={(changed) => clearChangedErrors(form, changed)}
      >
        <Form.Item
          label="订单查询地址（3.1.02 orderQueryUrl）"
          name="orderQueryUrl"
          extra="消费者打开商户自签链接（3.1.01）时，票码以签名的 POST 请求此地址查询订单明细；5 秒超时，应答不超过 1 MiB。"
        >
          <Input placeholder="https://pos.example.com/piaoma/order-query" data-testid="order-query-url" />
        </Form.Item>
        <Form.Item
          label="事件通知地址（webhookUrl）"
          name="webhookUrl"
          extra="发票开具、开票失败、红冲时推送签名事件；非 2xx 或超时将在 1 分钟、5 分钟、30 分钟、2 小时、6 小时、24 小时后重试。"
        >
          <Input placeholder="https://pos.example.com/piaoma/webhook" data-testid="webhook-url" />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={busy === "save"}>
            保存
          </Button>
          <Button onClick={sendTest} loading={busy === "test"} disabled={!saved.webhookUrl}>
            发送测试事件
          </Button>
          <Typography.Text type="secondary">
            {saved.webhookUrl
              ? "向已保存的事件通知地址发送一条 webhook.test 事件"
              : "保存事件通知地址后可发送测试事件"}
          </Typography.Text>
        </Space>
      </Form>
      {outcome && (
        <Alert
          type={outcome.type}
          showIcon
          message={outcome.text}
          style={{ marginTop: 16 }}
          data-testid="webhook-test-result"
        />
      )}
    </div>
  );
}
