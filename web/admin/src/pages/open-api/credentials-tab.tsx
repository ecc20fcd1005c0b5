import {
  Alert,
  App,
  Button,
  Descriptions,
  Form,
  Input,
  Modal,
  Radio,
  Space,
  Table,
  Tag,
  Typography,
} from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { Credential, IssuedCredential } from "../../api-types";
import { formatTime } from "../../labels";
import { useConsole } from "../../session";
import { EditModal } from "../base-data/edit-modal";

/**
 * The one moment a secret is visible. The modal is destroyed on close and the secret lives only in
 * the parent's state, which is cleared then, so nothing of it stays in the page.
 */
function SecretModal(props: { issued: IssuedCredential | null; title: string; onClose: () => void }) {
  const { issued } = props;
  return (
    <Modal
      title={props.title}
      open={issued !== null}
      onCancel={props.onClose}
      maskClosable={false}
      keyboard={false}
      destroyOnHidden
      width={620}
      footer={
        <Button type="primary" onClick={props.onClose} data-testid="secret-saved">
          我已保存，关闭
        </Button>
      }
    >
      <Alert
        type="warning"
        showIcon
        message="App Secret 仅显示一次，请立即保存"
        description="关闭此窗口后无法再次查看。请将其保存在商户系统的安全配置中，切勿写入前端页面或发给他人；如有遗失，请轮换生成新的密钥。"
        style={{ marginBottom: 16 }}
      />
      {issued && (
        <Descriptions column={1} bordered size="small" styles={{ label: { width: 110 } }}>
          <Descriptions.Item label="App Key">
            <Typography.Text copyable code data-testid="issued-app-key">
              {issued.appKey}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label="App Secret">
            <Typography.Text
              copyable={{ tooltips: ["复制", "已复制"] }}
              code
              strong
              data-testid="issued-app-secret"
            >
              {issued.appSecret}
            </Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      )}
    </Modal>
  );
}

/**
 * What happens to the old key on rotation: kept active by default, so the merchant's systems can
 * switch to the new key without failed requests; or revoked at once (e.g. the secret has leaked).
 */
function RotateChoice(props: { onChange: (revokeOld: boolean) => void }) {
  return (
    <>
      <Typography.Paragraph>将生成一组新的 App Key 与 App Secret。旧密钥如何处理：</Typography.Paragraph>
      <Radio.Group
        vertical
        defaultValue="keep"
        data-testid="rotate-old-key"
        onChange={(e) => props.onChange(e.target.value === "revoke")}
        options={[
          {
            value: "keep",
            label: (
              <span>
                保留旧密钥（推荐）
                <Typography.Text type="secondary" style={{ display: "block" }}>
                  旧密钥在吊销前仍然有效，便于商户系统平滑切换；切换完成后请吊销旧密钥。
                </Typography.Text>
              </span>
            ),
          },
          {
            value: "revoke",
            label: (
              <span>
                立即吊销旧密钥
                <Typography.Text type="secondary" style={{ display: "block" }}>
                  使用旧密钥签名的接口请求、签名链接将立即被拒绝，且无法恢复；适用于密钥泄露等情况。
                </Typography.Text>
              </span>
            ),
          },
        ]}
      />
    </>
  );
}

/** 应用凭证: the organization's App Keys for the open API (/open/v1) and its signed links. */
export function CredentialsTab() {
  const { orgId } = useConsole();
  const { message, modal } = App.useApp();
  const [rows, setRows] = useState<Credential[]>([]);
  const [loading, setLoading] = useState(true);
  const [creating, setCreating] = useState(false);
  const [issued, setIssued] = useState<{ credential: IssuedCredential; title: string } | null>(null);
  const base = `/orgs/${orgId}/credentials`;
  const load = useCallback(
    () =>
      api
        .get<Credential[]>(base)
        .then(setRows)
        .finally(() => setLoading(false)),
    [base],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const rotate = (c: Credential) => {
    // The confirmation is rendered once; the choice lives here and the OK button follows it.
    let revokeOld = false;
    const confirm = modal.confirm({
      title: `轮换 App Key ${c.appKey}？`,
      width: 520,
      content: (
        <RotateChoice
          onChange={(value) => {
            revokeOld = value;
            confirm.update({
              okText: value ? "轮换并吊销旧密钥" : "轮换",
              okButtonProps: { danger: value },
            });
          }}
        />
      ),
      okText: "轮换",
      cancelText: "取消",
      onOk: async () => {
        const next = await api.post<IssuedCredential>(`${base}/${c.appKey}/rotate`, { revokeOld });
        await load();
        setIssued({
          credential: next,
          title: revokeOld ? "已轮换：新的应用凭证（旧密钥已吊销）" : "已轮换：新的应用凭证",
        });
      },
    });
  };

  const revoke = (c: Credential) =>
    modal.confirm({
      title: `吊销 App Key ${c.appKey}？`,
      content: "吊销后使用该密钥签名的接口请求、签名链接将立即被拒绝，且无法恢复。",
      okText: "吊销",
      okButtonProps: { danger: true },
      cancelText: "取消",
      onOk: async () => {
        await api.post(`${base}/${c.appKey}/revoke`);
        message.success("已吊销");
        await load();
      },
    });

  return (
    <>
      <div className="toolbar">
        <Typography.Text type="secondary">
          商户系统以 App Key 标识身份，以 App Secret 对请求做 HMAC-SHA256 签名；接口根地址{" "}
          <Typography.Text code>{`${location.origin}/open/v1`}</Typography.Text>
        </Typography.Text>
        <Button type="primary" onClick={() => setCreating(true)}>
          新建凭证
        </Button>
      </div>
      <Table<Credential>
        rowKey="appKey"
        size="middle"
        loading={loading}
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: "尚未创建应用凭证" }}
        columns={[
          {
            title: "App Key",
            dataIndex: "appKey",
            render: (k: string) => <Typography.Text copyable>{k}</Typography.Text>,
          },
          { title: "用途说明", dataIndex: "label", render: (l: string) => l || "—" },
          {
            title: "状态",
            dataIndex: "status",
            width: 90,
            render: (s: Credential["status"]) =>
              s === "active" ? <Tag color="green">有效</Tag> : <Tag>已吊销</Tag>,
          },
          { title: "创建时间", dataIndex: "createdAt", width: 150, render: formatTime },
          { title: "最近使用", dataIndex: "lastUsedAt", width: 150, render: formatTime },
          { title: "吊销时间", dataIndex: "revokedAt", width: 150, render: formatTime },
          {
            title: "操作",
            width: 120,
            render: (_, c) =>
              c.status === "active" ? (
                <Space size={0}>
                  <Button type="link" size="small" onClick={() => rotate(c)}>
                    轮换
                  </Button>
                  <Button type="link" size="small" danger onClick={() => revoke(c)}>
                    吊销
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      <EditModal<{ label: string }>
        title="新建应用凭证"
        open={creating}
        initial={{}}
        fields={["label"]}
        onClose={() => setCreating(false)}
        onSave={async (v) => {
          const created = await api.post<IssuedCredential>(base, { label: v.label ?? "" });
          await load();
          setIssued({ credential: created, title: "应用凭证已创建" });
        }}
      >
        {() => (
          <Form.Item label="用途说明" name="label" extra="便于区分多套系统，例如「门店 POS」「线上商城」">
            <Input maxLength={50} placeholder="例如 门店 POS" />
          </Form.Item>
        )}
      </EditModal>
      <SecretModal
        issued={issued?.credential ?? null}
        title={issued?.title ?? ""}
        onClose={() => setIssued(null)}
      />
    </>
  );
}
