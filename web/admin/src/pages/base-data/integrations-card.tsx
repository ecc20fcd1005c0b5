import { Alert, App, Button, Card, Col, Form, Input, Row, Select, Skeleton } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { Integrations } from "../../api-types";
import { clearChangedErrors, showFieldErrors } from "../../form-errors";
import { WechatCardSetupForm } from "./wechat-card-setup";

const FIELDS = [
  "wechatAppId",
  "wechatSecret",
  "titleProvider",
  "titleProviderKey",
  "wechatInvoiceSPappid",
  "wechatInvoiceCardId",
];

interface Values {
  wechatAppId: string;
  wechatSecret: string;
  titleProvider: Integrations["titleProvider"];
  titleProviderKey: string;
  wechatInvoiceSPappid: string;
  wechatInvoiceCardId: string;
}

/**
 * 扫码页抬头服务: the 公众号 whose JS-SDK opens the consumer's saved WeChat titles (微信抬头), and
 * the company registry the 抬头 lookup asks. Secrets are shown masked; left empty, the saved one stays.
 */
export function IntegrationsCard({ orgId }: { orgId: string }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saved, setSaved] = useState<Integrations | null>(null);
  const [banner, setBanner] = useState<string[]>([]);
  const provider = Form.useWatch("titleProvider", form);

  const show = useCallback(
    (i: Integrations) => {
      setSaved(i);
      form.setFieldsValue({
        wechatAppId: i.wechatAppId,
        wechatSecret: "",
        titleProvider: i.titleProvider,
        titleProviderKey: "",
        wechatInvoiceSPappid: i.wechatInvoiceSPappid,
        wechatInvoiceCardId: i.wechatInvoiceCardId,
      });
    },
    [form],
  );
  useEffect(() => {
    void api.get<Integrations>(`/orgs/${orgId}/integrations`).then(show);
  }, [orgId, show]);

  const save = async (values: Values) => {
    setBanner([]);
    try {
      show(await api.put<Integrations>(`/orgs/${orgId}/integrations`, values));
      message.success("扫码页抬头服务已保存");
    } catch (e) {
      setBanner(showFieldErrors(form, e, FIELDS));
    }
  };

  if (!saved) return <Skeleton active />;
  return (
    <Card
      title="扫码页抬头服务"
      size="small"
      style={{ maxWidth: 880, marginTop: 24 }}
      data-testid="integrations"
    >
      {banner.length > 0 && (
        <Alert type="error" showIcon message={banner.join("；")} style={{ marginBottom: 16 }} />
      )}
      <Form
        form={form}
        layout="vertical"
        onFinish={save}
        onValuesChange={(changed) => clearChangedErrors(form, changed)}
      >
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item
              label="公众号 AppID（微信抬头）"
              name="wechatAppId"
              extra="在微信里扫码的顾客可一键选用微信里保存的发票抬头；留空则关闭"
            >
              <Input placeholder="wx 开头的 18 位" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              label="公众号 AppSecret"
              name="wechatSecret"
              extra={saved.wechatSecretMasked ? `已保存：${saved.wechatSecretMasked}，留空则不变` : undefined}
            >
              <Input.Password autoComplete="new-password" placeholder={saved.wechatSecretMasked || "32 位"} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item label="企业名称查询（抬头联想）" name="titleProvider">
              <Select
                options={[
                  { value: "none", label: "不使用" },
                  { value: "tianyancha", label: "天眼查开放平台" },
                ]}
              />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              label="查询服务密钥（Token）"
              name="titleProviderKey"
              extra={
                saved.titleProviderKeyMasked && provider === saved.titleProvider
                  ? `已保存：${saved.titleProviderKeyMasked}，留空则不变`
                  : undefined
              }
            >
              <Input.Password autoComplete="new-password" disabled={provider === "none"} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              label="微信卡包 · 电子发票插件 s_pappid"
              name="wechatInvoiceSPappid"
              extra="可由下方「开通微信卡包」自动取得；与 card_id 同时保存后，消费者在微信内可将发票加入卡包"
            >
              <Input data-testid="wechat-invoice-spappid" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              label="发票卡券模板 card_id"
              name="wechatInvoiceCardId"
              extra="createcard 接口创建的发票模板（「开通微信卡包」自动创建）"
            >
              <Input data-testid="wechat-invoice-card-id" />
            </Form.Item>
          </Col>
        </Row>
        <Button type="primary" htmlType="submit" data-testid="integrations-save">
          保存抬头服务
        </Button>
      </Form>
      {saved.wechatAppId && saved.wechatSecretMasked && (
        <WechatCardSetupForm orgId={orgId} saved={saved} onDone={show} />
      )}
    </Card>
  );
}
