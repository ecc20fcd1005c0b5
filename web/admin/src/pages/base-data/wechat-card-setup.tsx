import { Alert, Button, Col, Form, Input, Row } from "antd";
import { useState } from "react";
import { api } from "../../api";
import type { Integrations, WechatCardSetup } from "../../api-types";
import { clearChangedErrors, showFieldErrors } from "../../form-errors";

const FIELDS = ["contactPhone", "title", "logoUrl", "payee", "wechatAppId"];

interface Values {
  contactPhone: string;
  title: string;
  logoUrl: string;
  payee: string;
}

/**
 * 开通微信卡包: with the saved 公众号 (电子发票 plugin on), gets the s_pappid (seturl), sets the merchant
 * contact (set_contact) and creates the invoice card template (createcard); shows each step's result.
 */
export function WechatCardSetupForm({
  orgId,
  saved,
  onDone,
}: {
  orgId: string;
  saved: Integrations;
  onDone: (i: Integrations) => void;
}) {
  const [form] = Form.useForm<Values>();
  const [banner, setBanner] = useState<string[]>([]);
  const [result, setResult] = useState<WechatCardSetup | null>(null);
  const [busy, setBusy] = useState(false);
  const needCard = !saved.wechatInvoiceCardId;

  const run = async (values: Values) => {
    setBanner([]);
    setResult(null);
    setBusy(true);
    try {
      const out = await api.post<WechatCardSetup>(`/orgs/${orgId}/integrations/wechat-card`, values);
      setResult(out);
      onDone(out.integrations);
    } catch (e) {
      setBanner(showFieldErrors(form, e, FIELDS));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ marginTop: 24 }} data-testid="wechat-card-setup">
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 12 }}
        message="开通微信卡包"
        description="先保存上方的公众号 AppID 与 AppSecret，并在微信公众平台为该公众号开通「电子发票」插件；然后填写联系电话（及发票卡券的标题和 logo）并点击「开通微信卡包」，系统会依次获取 s_pappid、设置商户联系方式、创建发票卡券模板并保存。已保存的 s_pappid 与 card_id 会沿用。"
      />
      {banner.length > 0 && (
        <Alert type="error" showIcon message={banner.join("；")} style={{ marginBottom: 12 }} />
      )}
      <Form
        form={form}
        layout="vertical"
        onFinish={run}
        onValuesChange={(changed) => clearChangedErrors(form, changed)}
        initialValues={{ contactPhone: "", title: "", logoUrl: "", payee: "" }}
      >
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item label="商户联系电话" name="contactPhone" extra="微信要求设置（set_contact）">
              <Input data-testid="wechat-card-phone" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item label="卡券标题" name="title" extra="最多 9 个字；留空则用组织名称">
              <Input data-testid="wechat-card-title" disabled={!needCard} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              label="卡券 logo 地址"
              name="logoUrl"
              extra="先用公众平台的图片上传接口上传得到的 mmbiz.qpic.cn 地址"
            >
              <Input data-testid="wechat-card-logo" disabled={!needCard} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item label="收款方" name="payee" extra="留空则用组织名称">
              <Input disabled={!needCard} />
            </Form.Item>
          </Col>
        </Row>
        <Button htmlType="submit" loading={busy} data-testid="wechat-card-setup-run">
          开通微信卡包
        </Button>
      </Form>
      {result && (
        <div style={{ marginTop: 12 }} data-testid="wechat-card-setup-result">
          {result.steps.map((s) => (
            <Alert
              key={s.step}
              style={{ marginBottom: 8 }}
              showIcon
              type={s.status === "failed" ? "error" : s.status === "skipped" ? "warning" : "success"}
              message={s.message}
            />
          ))}
          {result.ok && <Alert type="success" message="微信卡包已开通" />}
        </div>
      )}
    </div>
  );
}
