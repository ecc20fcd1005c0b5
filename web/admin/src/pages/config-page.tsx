import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Radio,
  Select,
  Skeleton,
  Switch,
} from "antd";
import { useEffect, useState } from "react";
import { api } from "../api";
import type { ReceiptConfig, TaxAccount } from "../api-types";
import { clearChangedErrors, showFieldErrors } from "../form-errors";
import { INVOICE_TYPE_OPTIONS } from "../labels";
import { useCan, useConsole } from "../session";

const FIELDS = [
  "limit",
  "invoiceTypes",
  "defaultInvoiceType",
  "validDays",
  "overLimitPolicy",
  "defaultBuyerType",
  "defaultDrawer",
  "defaultPayee",
  "defaultReviewer",
  "defaultTaxAccountId",
  "mergeEnabled",
  "mergeMaxReceipts",
  "correctionAutoApproveDays",
];

/** 小票码配置 (F17025): one per organization. */
export default function ConfigPage() {
  const { session, orgId, setOrgId } = useConsole();
  const can = useCan();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [config, setConfig] = useState<ReceiptConfig | null>(null);
  const [accounts, setAccounts] = useState<TaxAccount[]>([]);
  const [banner, setBanner] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const invoiceTypes: string[] = Form.useWatch("invoiceTypes", form) ?? [];
  const mergeEnabled: boolean = Form.useWatch("mergeEnabled", form) ?? false;

  useEffect(() => {
    void Promise.all([
      api.get<ReceiptConfig>(`/orgs/${orgId}/config`),
      api.get<TaxAccount[]>(`/orgs/${orgId}/tax-accounts`),
    ]).then(([c, a]) => {
      setConfig(c);
      setAccounts(a);
      form.setFieldsValue(c);
    });
  }, [orgId, form]);

  const save = async (values: Record<string, unknown>) => {
    setSaving(true);
    setBanner([]);
    try {
      const saved = await api.put<ReceiptConfig>(`/orgs/${orgId}/config`, values);
      setConfig(saved);
      form.setFieldsValue(saved);
      message.success("小票码配置已保存");
    } catch (e) {
      setBanner(showFieldErrors(form, e, FIELDS));
    } finally {
      setSaving(false);
    }
  };

  const readOnly = !can("administer");
  return (
    <>
      <Card className="page-card" title="组织与销售方信息">
        <Form layout="inline" style={{ marginBottom: 16 }}>
          <Form.Item label="组织">
            <Select
              value={orgId}
              onChange={setOrgId}
              style={{ width: 360 }}
              options={session.organizations.map((o) => ({ value: o.id, label: o.name }))}
            />
          </Form.Item>
        </Form>
        {config ? (
          <Descriptions bordered size="small" column={2} data-testid="seller-info">
            <Descriptions.Item label="销售方名称">{config.seller.name}</Descriptions.Item>
            <Descriptions.Item label="统一社会信用代码">{config.seller.taxId}</Descriptions.Item>
            <Descriptions.Item label="地址">{config.seller.address || "—"}</Descriptions.Item>
            <Descriptions.Item label="电话">{config.seller.phone || "—"}</Descriptions.Item>
            <Descriptions.Item label="开户行">{config.seller.bankName || "—"}</Descriptions.Item>
            <Descriptions.Item label="银行账号">{config.seller.bankAccount || "—"}</Descriptions.Item>
          </Descriptions>
        ) : (
          <Skeleton active />
        )}
      </Card>
      <Card className="page-card" title="小票码配置">
        {banner.length > 0 && (
          <Alert type="error" showIcon message={banner.join("；")} style={{ marginBottom: 16 }} />
        )}
        <Form
          form={form}
          layout="horizontal"
          labelCol={{ flex: "140px" }}
          wrapperCol={{ flex: "520px" }}
          onFinish={save}
          onValuesChange={(changed) => clearChangedErrors(form, changed)}
          disabled={readOnly}
          style={{ maxWidth: 720 }}
        >
          <Form.Item
            label="限额（元）"
            name="limit"
            required
            extra="单张发票价税合计的上限，正数，最多两位小数，不超过 20 个字符"
          >
            <Input placeholder="例如 10000.00" data-testid="config-limit" />
          </Form.Item>
          <Form.Item label="可开票类型" name="invoiceTypes" required>
            <Checkbox.Group options={INVOICE_TYPE_OPTIONS} />
          </Form.Item>
          <Form.Item label="默认发票种类" name="defaultInvoiceType" required>
            <Select options={INVOICE_TYPE_OPTIONS.filter((o) => invoiceTypes.includes(o.value))} />
          </Form.Item>
          <Form.Item label="默认有效期" name="validDays" required>
            <InputNumber min={1} max={3650} precision={0} addonAfter="天" style={{ width: 200 }} />
          </Form.Item>
          <Form.Item label="超限额处理" name="overLimitPolicy" required>
            <Radio.Group
              options={[
                { value: "reject", label: "拒绝开票" },
                { value: "split", label: "拆分为多张发票" },
              ]}
            />
          </Form.Item>
          <Form.Item
            label="默认抬头类型"
            name="defaultBuyerType"
            required
            extra="消费者扫码后开票页面预先选中的抬头类型"
          >
            <Radio.Group
              options={[
                { value: "individual", label: "个人" },
                { value: "enterprise", label: "企业" },
              ]}
            />
          </Form.Item>
          <Form.Item
            label="合并开票"
            name="mergeEnabled"
            valuePropName="checked"
            extra="开启后，消费者可在开票页输入其他小票的开票码或粘贴链接，把本商家的多张小票合并开成一张发票"
          >
            <Switch data-testid="config-merge-enabled" />
          </Form.Item>
          <Form.Item
            label="最多合并小票数"
            name="mergeMaxReceipts"
            extra="一次合并开票最多包含的小票张数（含当前小票），2–20"
          >
            <InputNumber
              min={2}
              max={20}
              precision={0}
              addonAfter="张"
              style={{ width: 200 }}
              disabled={readOnly || !mergeEnabled}
              data-testid="config-merge-max"
            />
          </Form.Item>
          <Form.Item
            label="自动同意重开"
            name="correctionAutoApproveDays"
            extra="消费者在发票开具后这么多天内申请重开（换开）时自动同意并红冲重开；留空则每条申请都由开票员处理"
          >
            <InputNumber min={1} max={365} precision={0} addonAfter="天内" style={{ width: 200 }} />
          </Form.Item>
          <Form.Item label="默认电子税局账号" name="defaultTaxAccountId">
            <Select allowClear options={accounts.map((a) => ({ value: a.id, label: a.name }))} />
          </Form.Item>
          <Form.Item label="默认开票人" name="defaultDrawer">
            <Input maxLength={20} />
          </Form.Item>
          <Form.Item label="默认收款人" name="defaultPayee">
            <Input maxLength={20} />
          </Form.Item>
          <Form.Item label="默认复核人" name="defaultReviewer">
            <Input maxLength={20} />
          </Form.Item>
          {!readOnly && (
            <Form.Item label=" " colon={false}>
              <Button type="primary" htmlType="submit" loading={saving}>
                保存
              </Button>
            </Form.Item>
          )}
        </Form>
      </Card>
    </>
  );
}
