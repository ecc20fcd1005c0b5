import { Alert, App, Button, Form, Input, Modal, QRCode, Select, Space, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { TaxAccount, TaxAccountChannel, TaxAccountReauth, TaxAccountStatus } from "../../api-types";
import { formatTime, TAX_ACCOUNT_STATUS } from "../../labels";
import { ListPage } from "../../list-page";
import { useCan, useConsole } from "../../session";
import { EditModal } from "./edit-modal";

/** What a saved secret shows as: never its value. */
const MASK = "******";

/** How often the 测试连接 dialog asks whether its QR was scanned, while open. */
const SCAN_POLL_MS = 3000;

/** Problems someone fixes by scanning a QR with the phone (数电 login, 实人认证). */
const SCAN_PROBLEMS = new Set(["logged_out", "identity_verification_due"]);

/**
 * 电子税局账号: through which account, on which channel (沙箱, 诺诺, 金蝶 …), invoices are issued. Each
 * channel has its own fields; secrets are masked once saved (left as they are, they keep their
 * value); 测试连接 asks the channel for the account's state.
 */
export function TaxAccountsTab() {
  const { orgId } = useConsole();
  const can = useCan();
  const { message } = App.useApp();
  const [rows, setRows] = useState<TaxAccount[]>([]);
  const [channels, setChannels] = useState<TaxAccountChannel[]>([]);
  const [editing, setEditing] = useState<Partial<TaxAccount> | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [tested, setTested] = useState<TaxAccountStatus | null>(null);
  /** The QR shown in the dialog: the one 测试连接 read, or a new one (刷新二维码). */
  const [qr, setQr] = useState<{ text: string; expiresAt: string | null; expired?: boolean } | null>(null);
  const [qrNote, setQrNote] = useState<string | null>(null);
  const [refreshing, setRefreshing] = useState(false);
  const load = useCallback(() => api.get<TaxAccount[]>(`/orgs/${orgId}/tax-accounts`).then(setRows), [orgId]);
  useEffect(() => {
    void load();
    void api.get<TaxAccountChannel[]>(`/orgs/${orgId}/tax-account-channels`).then(setChannels);
  }, [load, orgId]);
  const labelOf = (id: string) => channels.find((c) => c.id === id)?.label ?? id;
  const settingKeys = channels.flatMap((c) => c.fields.map((f) => `settings.${f.key}`));

  const test = async (r: TaxAccount) => {
    setTesting(r.id);
    try {
      const status = await api.post<TaxAccountStatus>(`/orgs/${orgId}/tax-accounts/${r.id}/test`, {});
      setTested(status);
      setQr(status.qrCode ?? null);
      setQrNote(null);
      await load();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setTesting(null);
    }
  };

  const scanning = tested?.status === "reauth" && SCAN_PROBLEMS.has(tested.problem ?? "");
  const accountId = tested?.id;

  /** 刷新二维码: the channel is asked for a new QR (it limits how often: its words are shown). */
  const refreshQr = async () => {
    if (!accountId) return;
    setRefreshing(true);
    try {
      const answer = await api.post<TaxAccountReauth>(`/orgs/${orgId}/tax-accounts/${accountId}/reauth`, {
        refresh: true,
      });
      if (answer.qrCode) {
        setQr(answer.qrCode);
        setQrNote(null);
      } else setQrNote(answer.message);
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setRefreshing(false);
    }
  };

  // While the dialog shows a QR to scan, ask every few seconds whether it was scanned: once done,
  // the account is back (its held invoices resume) and the dialog says so.
  useEffect(() => {
    if (!scanning || !accountId) return;
    let stopped = false;
    const timer = setInterval(() => {
      void api
        .post<TaxAccountReauth>(`/orgs/${orgId}/tax-accounts/${accountId}/reauth`, {})
        .then(async (answer) => {
          if (stopped) return;
          if (answer.scan === "expired") setQr((q) => (q ? { ...q, expired: true } : q));
          if (answer.scan === "done" || answer.status === "online") {
            setTested({ ...answer, channel: answer.channel ?? tested?.channel ?? "" });
            setQr(null);
            message.success("认证完成，账号已恢复，暂停的发票将自动继续开具");
            await load();
          }
        })
        .catch(() => undefined);
    }, SCAN_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [scanning, accountId, orgId, load, message, tested?.channel]);

  const closeTested = () => {
    setTested(null);
    setQr(null);
    setQrNote(null);
  };

  return (
    <>
      <ListPage<TaxAccount, object>
        embedded
        total={rows.length}
        actions={
          can("administer") && (
            <Button
              type="primary"
              onClick={() => setEditing({ channel: "sandbox", status: "online", settings: {} })}
            >
              新增账号
            </Button>
          )
        }
        table={{
          dataSource: rows,
          columns: [
            { title: "账号名称", dataIndex: "name", width: 200, ellipsis: true },
            {
              title: "开票通道",
              dataIndex: "channel",
              width: 160,
              ellipsis: true,
              render: (c: string) => labelOf(c),
            },
            {
              title: "状态",
              dataIndex: "status",
              // What the channel reported and what to do; the account's invoices wait meanwhile.
              render: (s: string, r: TaxAccount) => (
                <Space direction="vertical" size={2}>
                  <Tag color={TAX_ACCOUNT_STATUS[s]?.color} title={r.statusMessage ?? undefined}>
                    {TAX_ACCOUNT_STATUS[s]?.label ?? s}
                  </Tag>
                  {r.problem && (
                    <Typography.Text type="secondary" data-testid="tax-account-action">
                      {r.statusAction ?? r.statusMessage}（待开发票已暂停，恢复后自动继续）
                    </Typography.Text>
                  )}
                </Space>
              ),
            },
            {
              title: "授信额度",
              dataIndex: "creditAvailable",
              width: 170,
              // Available (tax-exclusive), as the channel last reported it, and when it was read.
              render: (v: string | null, r: TaxAccount) =>
                v === null ? (
                  "—"
                ) : (
                  <Space direction="vertical" size={0} data-testid="tax-account-credit">
                    <span>可用 ¥{v}</span>
                    <Typography.Text type="secondary">{formatTime(r.creditReportedAt)} 读取</Typography.Text>
                  </Space>
                ),
            },
            { title: "创建时间", dataIndex: "createdAt", width: 140, render: formatTime },
            ...(can("administer")
              ? [
                  {
                    title: "操作",
                    width: 170,
                    render: (_: unknown, r: TaxAccount) => (
                      <Space size={0}>
                        <Button type="link" size="small" onClick={() => setEditing(r)}>
                          编辑
                        </Button>
                        <Button
                          type="link"
                          size="small"
                          loading={testing === r.id}
                          onClick={() => void test(r)}
                        >
                          测试连接
                        </Button>
                      </Space>
                    ),
                  },
                ]
              : []),
          ],
        }}
      />
      <EditModal<TaxAccount>
        title={editing?.id ? "编辑电子税局账号" : "新增电子税局账号"}
        open={editing !== null}
        initial={editing ?? {}}
        fields={["name", "channel", "status", "settings", ...settingKeys]}
        onClose={() => setEditing(null)}
        onSave={async (v) => {
          const body = { name: v.name, channel: v.channel, status: v.status, settings: v.settings ?? {} };
          if (editing?.id) await api.put(`/orgs/${orgId}/tax-accounts/${editing.id}`, body);
          else await api.post(`/orgs/${orgId}/tax-accounts`, body);
          message.success("已保存");
          await load();
        }}
      >
        {() => (
          <>
            <Form.Item label="账号名称" name="name" required>
              <Input maxLength={50} />
            </Form.Item>
            <Form.Item label="开票通道" name="channel" required>
              <Select options={channels.map((c) => ({ value: c.id, label: c.label }))} />
            </Form.Item>
            <Form.Item noStyle shouldUpdate={(a, b) => a.channel !== b.channel}>
              {({ getFieldValue }) =>
                channels
                  .find((c) => c.id === getFieldValue("channel"))
                  ?.fields.map((f) => (
                    <Form.Item
                      key={f.key}
                      label={f.label}
                      name={["settings", f.key]}
                      required={f.required}
                      extra={f.help}
                    >
                      {f.options ? (
                        <Select options={f.options} />
                      ) : f.secret ? (
                        <Input.Password
                          placeholder={editing?.settings?.[f.key] === MASK ? "已保存，留空不变" : ""}
                        />
                      ) : (
                        <Input placeholder={f.placeholder} />
                      )}
                    </Form.Item>
                  ))
              }
            </Form.Item>
            <Form.Item label="状态" name="status" required>
              <Select
                options={Object.entries(TAX_ACCOUNT_STATUS).map(([value, s]) => ({ value, label: s.label }))}
              />
            </Form.Item>
          </>
        )}
      </EditModal>
      <Modal title="测试连接" open={tested !== null} onCancel={closeTested} footer={null}>
        {tested && (
          <Space direction="vertical" style={{ width: "100%" }}>
            <Alert
              type={tested.status === "online" ? "success" : tested.status === "reauth" ? "warning" : "error"}
              showIcon
              message={`${TAX_ACCOUNT_STATUS[tested.status]?.label ?? tested.status}：${tested.message}`}
              description={tested.action}
            />
            {scanning && (
              <Space direction="vertical" align="center" style={{ width: "100%" }} data-testid="reauth-qr">
                {qr ? (
                  <>
                    <Typography.Text>
                      请用手机扫码
                      {tested.problem === "identity_verification_due" ? "完成实人认证" : "登录电子税局"}
                    </Typography.Text>
                    <QRCode
                      value={qr.text}
                      size={180}
                      status={qr.expired ? "expired" : "active"}
                      onRefresh={() => void refreshQr()}
                      data-testid="reauth-qr-code"
                      data-value={qr.text}
                    />
                    <Typography.Text type="secondary" data-testid="reauth-qr-expiry">
                      {qr.expired
                        ? "二维码已失效，请刷新"
                        : qr.expiresAt
                          ? `${formatTime(qr.expiresAt)} 前有效`
                          : "限时有效"}
                    </Typography.Text>
                  </>
                ) : (
                  <Typography.Text type="secondary">暂无有效二维码，请刷新</Typography.Text>
                )}
                {qrNote && <Typography.Text type="warning">{qrNote}</Typography.Text>}
                <Button onClick={() => void refreshQr()} loading={refreshing}>
                  刷新二维码
                </Button>
                <Typography.Text type="secondary">
                  扫码完成后将自动检测，账号恢复后暂停的发票自动继续
                </Typography.Text>
              </Space>
            )}
            {tested.creditLine && (
              <div>
                授信额度：可用 {tested.creditLine.available}
                {tested.creditLine.used && `，已用 ${tested.creditLine.used}`}
                {tested.creditLine.total && `，总额 ${tested.creditLine.total}`}
              </div>
            )}
          </Space>
        )}
      </Modal>
    </>
  );
}
