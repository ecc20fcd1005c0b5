import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { useState } from "react";
import { ApiError, api } from "./api";
import type { Session } from "./api-types";
import { showFieldErrors } from "./form-errors";

/**
 * 登录: username and password; after five wrong passwords the account is locked for 15 minutes. The
 * server answers a locked account like a wrong password (so nobody learns which accounts exist),
 * hence the footer says what a lock means; a 429 (too many attempts) arrives with its wait in the
 * message and is shown as it is.
 */
export function LoginPage({ onLogin }: { onLogin: (s: Session) => void }) {
  const [form] = Form.useForm<{ username: string; password: string }>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (values: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      onLogin(await api.post<Session>("/session", values));
    } catch (e) {
      const rest = showFieldErrors(form, e, ["username", "password"]);
      setError(e instanceof ApiError && rest.length === 0 ? null : (rest[0] ?? "登录失败"));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-backdrop">
      <div className="login-panel">
        <div className="login-brand">
          <div className="brand-mark">票</div>
          <div>
            <Typography.Title level={3} style={{ margin: 0, color: "#fff" }}>
              票码 · 开票管理控制台
            </Typography.Title>
            <Typography.Text style={{ color: "rgba(255, 255, 255, 0.75)" }}>
              扫码开票 · 数电票 · 小票码管理
            </Typography.Text>
          </div>
        </div>
        <Card variant="borderless" className="login-card">
          <Typography.Title level={4} style={{ marginTop: 0 }}>
            账号登录
          </Typography.Title>
          {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
          <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} size="large">
            <Form.Item label="用户名" name="username" rules={[{ required: true, message: "请输入用户名" }]}>
              <Input autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item label="密码" name="password" rules={[{ required: true, message: "请输入密码" }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              登录
            </Button>
          </Form>
        </Card>
        <Typography.Paragraph className="login-footer" style={{ color: "rgba(255, 255, 255, 0.65)" }}>
          连续输错密码 5 次，账号将锁定 15 分钟，期间即使密码正确也无法登录；管理员可在「用户」中解锁
        </Typography.Paragraph>
      </div>
    </div>
  );
}
