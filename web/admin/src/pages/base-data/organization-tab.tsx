import { Alert, App, Button, Col, Form, Input, Row, Skeleton, Space } from "antd";
import { useEffect, useState } from "react";
import { api } from "../../api";
import type { Organization } from "../../api-types";
import { clearChangedErrors, showFieldErrors } from "../../form-errors";
import { useCan, useConsole } from "../../session";
import { EditModal } from "./edit-modal";
import { IntegrationsCard } from "./integrations-card";

const FIELDS = ["name", "taxId", "address", "phone", "bankName", "bankAccount"];

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
      setBanner(showFieldErrors(form, e, FIELDS));
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
