import { Alert, App, Button, Col, Form, Input, InputNumber, Row, Skeleton, Space, Switch } from "antd";
import { useEffect, useState } from "react";
import { api } from "../../api";
import type { Organization } from "../../api-types";
import { clearChangedErrors, showFieldErrors } from "../../form-errors";
import { useCan, useConsole } from "../../session";
import { EditModal } from "./edit-modal";
import { IntegrationsCard } from "./integrations-card";
import { SmsCard } from "./sms-card";

const FIELDS = ["name", "taxId", "address", "phone", "bankName", "bankAccount", "contactEmail"];
/** The server's range of the 门店码 waiting time (organizations.console.schema.ts). */
const PENDING_HOURS = { min: 1, max: 720 };

function OrgFields() {
  return (
    <Row gutter={16}>
      <Col span={12}>
        <Form.Item label="销售方名称" name="name" required>
          <Input />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item label="统一社会信用代码" name="taxId" required>
          <Input maxLength={18} />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item label="地址" name="address">
          <Input />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item label="电话" name="phone">
          <Input />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item label="开户行" name="bankName">
          <Input />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item label="银行账号" name="bankAccount">
          <Input />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item
          label="联系邮箱"
          name="contactEmail"
          extra="发票邮件的回复地址（Reply-To）：消费者直接回复即联系到商家；不填则为系统地址"
        >
          <Input type="email" />
        </Form.Item>
      </Col>
    </Row>
  );
}

/** 组织信息: the seller printed on every invoice. */
export function OrganizationTab() {
  const { orgId, refresh, setOrgId } = useConsole();
  const can = useCan();
  const { message } = App.useApp();
  const [form] = Form.useForm<Organization>();
  const [loaded, setLoaded] = useState(false);
  const [banner, setBanner] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    void api.get<Organization>(`/orgs/${orgId}`).then((o) => {
      form.setFieldsValue(o);
      setLoaded(true);
    });
  }, [orgId, form]);

  const save = async (values: Organization) => {
    setBanner([]);
    try {
      form.setFieldsValue(await api.put<Organization>(`/orgs/${orgId}`, values));
      await refresh();
      message.success("组织信息已保存");
    } catch (e) {
      setBanner(showFieldErrors(form, e, [...FIELDS, "pendingSubmissionHours"]));
    }
  };

  if (!loaded) return <Skeleton active />;
  const admin = can("administer");
  return (
    <>
      {banner.length > 0 && (
        <Alert type="error" showIcon message={banner.join("；")} style={{ marginBottom: 16 }} />
      )}
      <Form
        form={form}
        layout="vertical"
        onFinish={save}
        onValuesChange={(changed) => clearChangedErrors(form, changed)}
        disabled={!admin}
        style={{ maxWidth: 880 }}
      >
        <OrgFields />
        <Form.Item
          label="在「我的发票」中展示"
          name="myInvoicesListed"
          valuePropName="checked"
          extra="开启后，顾客可用接收发票的手机号或邮箱登录「我的发票」（/my）查看本组织开给他的发票"
        >
          <Switch data-testid="my-invoices-listed" />
        </Form.Item>
        <Form.Item
          label="门店码等待匹配时长（小时）"
          name="pendingSubmissionHours"
          extra="顾客在门店码提交开票信息后，超过此时长仍未匹配到订单即过期，并通知顾客（1–720 小时，默认 72）"
          rules={[
            { required: true, message: "请填写等待时长" },
            {
              type: "integer",
              min: PENDING_HOURS.min,
              max: PENDING_HOURS.max,
              message: `请填写 ${PENDING_HOURS.min}–${PENDING_HOURS.max} 之间的整数`,
            },
          ]}
        >
          <InputNumber data-testid="pending-submission-hours" precision={0} style={{ width: 160 }} />
        </Form.Item>
        {admin && (
          <Space>
            <Button type="primary" htmlType="submit">
              保存
            </Button>
            <Button onClick={() => setCreating(true)}>新增组织</Button>
          </Space>
        )}
      </Form>
      {admin && <IntegrationsCard orgId={orgId} />}
      {admin && <SmsCard orgId={orgId} />}
      <EditModal<Organization>
        title="新增组织"
        open={creating}
        initial={{}}
        fields={FIELDS}
        width={720}
        onClose={() => setCreating(false)}
        onSave={async (values) => {
          const org = await api.post<Organization>("/orgs", values);
          await refresh();
          setOrgId(org.id);
          message.success(`已新增组织：${org.name}`);
        }}
      >
        {() => <OrgFields />}
      </EditModal>
    </>
  );
}
