import { Alert, App, Button, Card, Form, Input, Skeleton, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { SmsSettings } from "../../api-types";
import { clearChangedErrors, showFieldErrors } from "../../form-errors";

const FIELDS = ["signName", "templateCode"];
const PROVIDER_LABELS: Record<SmsSettings["provider"], string> = {
  log: "未接入短信网关（短信仅记录，不发送）",
  aliyun: "阿里云短信",
  tencent: "腾讯云短信",
};

interface Values {
  signName: string;
  templateCode: string;
}

/**
 * 短信通知: the organization's 短信签名 and template code at the installation's SMS gateway, with the
 * template text to register there. Both filled or both empty.
 */
export function SmsCard({ orgId }: { orgId: string }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saved, setSaved] = useState<SmsSettings | null>(null);
  const [banner, setBanner] = useState<string[]>([]);

  const show = useCallback(
    (s: SmsSettings) => {
      setSaved(s);
      form.setFieldsValue({ signName: s.signName, templateCode: s.templateCode });
    },
    [form],
  );
  useEffect(() => {
    void api.get<SmsSettings>(`/orgs/${orgId}/sms-settings`).then(show);
  }, [orgId, show]);

  const save = async (values: Values) => {
    setBanner([]);
    try {
      show(await api.put<SmsSettings>(`/orgs/${orgId}/sms-settings`, values));
      message.success("短信通知已保存");
    } catch (e) {
      setBanner(showFieldErrors(form, e, FIELDS));
    }
  };

  if (!saved) return <Skeleton active />;
  return (
    <Card title="短信通知" size="small" style={{ maxWidth: 880, marginTop: 24 }} data-testid="sms-settings">
      <Typography.Paragraph type="secondary">
        短信网关：{PROVIDER_LABELS[saved.provider]}
        {saved.templateText && (
          <>
            。请在网关登记签名与模板，模板内容：<Typography.Text code>{saved.templateText}</Typography.Text>
          </>
        )}
      </Typography.Paragraph>
      {banner.length > 0 && (
        <Alert type="error" showIcon message={banner.join("；")} style={{ marginBottom: 16 }} />
      )}
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={save}
        onValuesChange={(changed) => clearChangedErrors(form, changed)}
      >
        <Form.Item label="短信签名" name="signName" extra="不含【】，如：票码">
          <Input maxLength={20} data-testid="sms-sign-name" />
        </Form.Item>
        <Form.Item
          label="模板编号"
          name="templateCode"
          extra={saved.provider === "tencent" ? "腾讯云模板 ID（数字）" : "阿里云模板 CODE，如 SMS_123456789"}
        >
          <Input maxLength={40} data-testid="sms-template-code" />
        </Form.Item>
        <Button type="primary" htmlType="submit" data-testid="sms-save">
          保存
        </Button>
      </Form>
    </Card>
  );
}
