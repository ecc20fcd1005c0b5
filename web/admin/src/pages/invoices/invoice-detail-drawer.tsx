import {
  Alert,
  App,
  Button,
  Descriptions,
  Drawer,
  Form,
  Input,
  Modal,
  Skeleton,
  Space,
  Tag,
  Typography,
} from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api";
import type { InvoiceDetail } from "../../api-types";
import { showFieldErrors } from "../../form-errors";
import { formatTime, INVOICE_TYPE_LABELS, SOURCE_LABELS } from "../../labels";
import {
  DeliveriesTable,
  LinesTable,
  RefundsList,
  WebhooksList,
  WechatCardState,
} from "./invoice-detail-sections";
import { BUYER_TYPE_LABELS, INVOICE_STATUS, RED_CONFIRMATION, yuan } from "./invoice-labels";
import { ReverseModal, ReversibleTable } from "./reverse-modal";

interface Props {
  orgId: string;
  /** The organization's name (the seller), shown at the top: in 「全部组织」 rows of several mix. */
  orgName?: string;
  invoiceId: string | null;
  onClose(): void;
  /** Opens another invoice (the red counterpart, the blue one). */
  onOpen(id: string): void;
  /** The list reloads after an action changed something. */
  onChanged(): void;
  /** Opens the 红冲 dialog as soon as the invoice is shown (异常中心's 重新红冲). */
  startReversing?: boolean;
}

/** One invoice: header, totals, lines, the receipt code, deliveries and webhooks; the actions. */
export function InvoiceDetailDrawer({
  orgId,
  orgName,
  invoiceId,
  onClose,
  onOpen,
  onChanged,
  startReversing,
}: Props) {
  const { message } = App.useApp();
  const [detail, setDetail] = useState<InvoiceDetail | null>(null);
  const [resending, setResending] = useState(false);
  const [reversing, setReversing] = useState(false);
  const [retrying, setRetrying] = useState(false);
  const [deciding, setDeciding] = useState<"confirmed" | "refused" | null>(null);

  const load = useCallback(async () => {
    if (!invoiceId) return;
    setDetail(await api.get<InvoiceDetail>(`/orgs/${orgId}/invoices/${invoiceId}`));
  }, [orgId, invoiceId]);
  useEffect(() => {
    setDetail(null);
    void load();
  }, [load]);
  useEffect(() => {
    if (startReversing && detail?.canReverse) setReversing(true);
  }, [startReversing, detail?.canReverse]);

  const retry = async () => {
    if (!detail) return;
    setRetrying(true);
    try {
      const after = await api.post<InvoiceDetail>(`/orgs/${orgId}/invoices/${detail.id}/retry`);
      setDetail(after);
      if (after.status === "failed") message.error(`重试后仍开具失败：${after.failureReason ?? ""}`);
      else message.success(after.status === "issued" ? `已开具，发票号码 ${after.number}` : "已重新提交开具");
      onChanged();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setRetrying(false);
    }
  };

  /** The sandbox only: answer the pending 确认单 as the buyer would. */
  const decide = async (decision: "confirmed" | "refused") => {
    if (!detail) return;
    setDeciding(decision);
    try {
      const after = await api.post<InvoiceDetail>(
        `/orgs/${orgId}/invoices/${detail.id}/sandbox-confirmation`,
        {
          decision,
        },
      );
      setDetail(after);
      if (after.status === "issued") message.success(`确认单已确认，红字发票号码 ${after.number}`);
      else if (after.status === "failed") message.warning(`确认单已拒绝：${after.failureReason ?? ""}`);
      else message.info("已提交，红字发票开具中");
      onChanged();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setDeciding(null);
    }
  };

  const base = `/api/console/orgs/${orgId}/invoices/${invoiceId}`;
  const title = detail
    ? `${detail.color === "red" ? "红字发票" : "发票"} ${detail.number ?? "（未开具）"}`
    : "发票详情";
  return (
    <Drawer open={Boolean(invoiceId)} onClose={onClose} size={920} title={title} destroyOnHidden>
      {!detail ? (
        <Skeleton active paragraph={{ rows: 12 }} />
      ) : (
        <Space direction="vertical" size="middle" style={{ width: "100%" }} data-testid="invoice-detail">
          <Space wrap>
            {detail.files.length > 0 && (
              <>
                <Button href={`${base}/files/pdf`} data-testid="download-pdf">
                  下载 PDF
                </Button>
                <Button href={`${base}/files/xml`}>下载 XML</Button>
              </>
            )}
            {detail.canResend && (
              <Button onClick={() => setResending(true)} data-testid="resend">
                重新发送
              </Button>
            )}
            {detail.canReverse && (
              <Button danger onClick={() => setReversing(true)} data-testid="reverse">
                红冲
              </Button>
            )}
            {detail.canDecideSandboxConfirmation && (
              <>
                <Button
                  type="primary"
                  loading={deciding === "confirmed"}
                  disabled={deciding !== null}
                  onClick={() => decide("confirmed")}
                  data-testid="sandbox-confirm"
                >
                  沙箱：购买方确认
                </Button>
                <Button
                  danger
                  loading={deciding === "refused"}
                  disabled={deciding !== null}
                  onClick={() => decide("refused")}
                  data-testid="sandbox-refuse"
                >
                  沙箱：购买方拒绝
                </Button>
              </>
            )}
            {detail.canRetry && (
              <Button type="primary" loading={retrying} onClick={retry} data-testid="retry">
                重试开具
              </Button>
            )}
          </Space>
          {detail.status === "failed" && (
            <Alert
              type="error"
              showIcon
              message="开具失败"
              description={`${detail.failureReason ?? ""}（${detail.failureCode ?? ""}，已尝试 ${detail.attempts} 次）`}
            />
          )}
          {detail.reds.length > 0 && (
            <Alert
              type="warning"
              showIcon
              message={
                <span>
                  {detail.status === "partially_reversed" ? "部分红冲" : "已红冲"}：红字发票{" "}
                  {detail.reds.map((red, i) => (
                    <span key={red.id}>
                      {i > 0 && "、"}
                      <Typography.Link
                        onClick={() => onOpen(red.id)}
                        data-testid={i === detail.reds.length - 1 ? "open-red" : undefined}
                      >
                        {red.number ?? "开具中"}
                      </Typography.Link>
                      （{yuan(red.totalAmount)}，{INVOICE_STATUS[red.status].label}）
                    </span>
                  ))}
                </span>
              }
            />
          )}
          {detail.blue && (
            <Alert
              type="info"
              showIcon
              message={
                <span>
                  红冲原因「{detail.reverseReason}」，对应蓝字发票{" "}
                  <Typography.Link onClick={() => onOpen(detail.blue!.id)}>
                    {detail.blue.number}
                  </Typography.Link>
                </span>
              }
            />
          )}
          {detail.reissuedAs && (
            <Alert
              type="info"
              showIcon
              data-testid="reissued-as"
              message={
                <span>
                  已红冲并重开：更正后的发票{" "}
                  <Typography.Link onClick={() => onOpen(detail.reissuedAs!.id)}>
                    {detail.reissuedAs.number ?? "开具中"}
                  </Typography.Link>
                  （{INVOICE_STATUS[detail.reissuedAs.status].label}）
                </span>
              }
            />
          )}
          {detail.reissueOf && (
            <Alert
              type="info"
              showIcon
              data-testid="reissue-of"
              message={
                <span>
                  红冲并重开的更正发票，原发票{" "}
                  <Typography.Link onClick={() => onOpen(detail.reissueOf!.id)}>
                    {detail.reissueOf.number ?? "—"}
                  </Typography.Link>
                </span>
              }
            />
          )}
          {detail.redConfirmation && (
            <Descriptions
              bordered
              size="small"
              column={2}
              title="红字发票信息确认单"
              data-testid="red-confirmation"
            >
              <Descriptions.Item label="确认单编号">
                {detail.redConfirmation.number ?? "（申请中）"}
              </Descriptions.Item>
              <Descriptions.Item label="确认单状态">
                <Tag
                  color={RED_CONFIRMATION[detail.redConfirmation.status].color}
                  data-testid="red-confirmation-status"
                >
                  {RED_CONFIRMATION[detail.redConfirmation.status].label}
                </Tag>
              </Descriptions.Item>
              <Descriptions.Item label="申请时间">
                {formatTime(detail.redConfirmation.createdAt)}
              </Descriptions.Item>
              <Descriptions.Item label="申请人">{detail.redConfirmationRequestedBy ?? "—"}</Descriptions.Item>
              <Descriptions.Item label="确认期限">
                {detail.redConfirmation.expiresAt ? formatTime(detail.redConfirmation.expiresAt) : "—"}
              </Descriptions.Item>
              <Descriptions.Item label="处理时间">
                {detail.redConfirmation.decidedAt ? formatTime(detail.redConfirmation.decidedAt) : "—"}
              </Descriptions.Item>
            </Descriptions>
          )}
          <Descriptions bordered size="small" column={2}>
            {orgName && (
              <Descriptions.Item label="销售方（组织）" span={2}>
                <span data-testid="invoice-detail-org">{orgName}</span>
              </Descriptions.Item>
            )}
            <Descriptions.Item label="发票号码">{detail.number ?? "—"}</Descriptions.Item>
            <Descriptions.Item label="状态">
              <Tag color={INVOICE_STATUS[detail.status].color} data-testid="invoice-status">
                {INVOICE_STATUS[detail.status].label}
              </Tag>
              {detail.color === "red" && <Tag color="red">红字</Tag>}
            </Descriptions.Item>
            <Descriptions.Item label="发票类型">{INVOICE_TYPE_LABELS[detail.invoiceType]}</Descriptions.Item>
            <Descriptions.Item label="开票时间">{formatTime(detail.issuedAt)}</Descriptions.Item>
            <Descriptions.Item label="购买方">
              {detail.buyer.name}（{BUYER_TYPE_LABELS[detail.buyer.type] ?? detail.buyer.type}）
            </Descriptions.Item>
            <Descriptions.Item label="纳税人识别号">{detail.buyer.taxId || "—"}</Descriptions.Item>
            <Descriptions.Item label="邮箱">{detail.email ?? "—"}</Descriptions.Item>
            <Descriptions.Item label="手机号">{detail.mobile ?? "—"}</Descriptions.Item>
            <Descriptions.Item label="金额">{yuan(detail.totals.amountExcludingTax)}</Descriptions.Item>
            <Descriptions.Item label="税额">{yuan(detail.totals.taxAmount)}</Descriptions.Item>
            <Descriptions.Item label="价税合计">
              <Typography.Text strong data-testid="invoice-total">
                {yuan(detail.totals.totalAmount)}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label="开票人">
              {detail.drawer}
              {detail.seqCount > 1 ? `（拆分 ${detail.seq}/${detail.seqCount}）` : ""}
            </Descriptions.Item>
            <Descriptions.Item label="小票流水号">
              <Typography.Link href={detail.receiptCode.url} target="_blank">
                {detail.receiptCode.serialNo}
              </Typography.Link>
            </Descriptions.Item>
            <Descriptions.Item label="小票码">
              {SOURCE_LABELS[detail.receiptCode.source] ?? detail.receiptCode.source} · 设备{" "}
              {detail.receiptCode.deviceNo ?? "—"} · 扫码 {detail.receiptCode.scanCount} 次 · 创建于{" "}
              {formatTime(detail.receiptCode.createdAt)}
            </Descriptions.Item>
            {/* Not `remark && …`: an empty string would still count as an item and leave an empty cell. */}
            {detail.remark ? (
              <Descriptions.Item label="备注" span={2}>
                {detail.remark}
              </Descriptions.Item>
            ) : null}
          </Descriptions>
          <Typography.Title level={5}>商品明细</Typography.Title>
          <LinesTable lines={detail.lines} />
          {detail.reversible && (detail.reds.length > 0 || detail.canReverse) && (
            <>
              <Typography.Title level={5}>可红冲</Typography.Title>
              <ReversibleTable reversible={detail.reversible} />
            </>
          )}
          <RefundsList url={`/orgs/${orgId}/invoices/${detail.id}/refunds`} />
          <Typography.Title level={5}>交付记录</Typography.Title>
          <DeliveriesTable deliveries={detail.deliveries} />
          <Typography.Title level={5}>微信卡包</Typography.Title>
          <WechatCardState card={detail.wechatCard} />
          <Typography.Title level={5}>Webhook 推送</Typography.Title>
          <WebhooksList webhooks={detail.webhooks} />
        </Space>
      )}
      {detail && (
        <>
          <ResendModal
            open={resending}
            orgId={orgId}
            detail={detail}
            onDone={async (sent) => {
              setResending(false);
              if (sent) await load();
            }}
          />
          <ReverseModal
            open={reversing}
            orgId={orgId}
            detail={detail}
            onDone={async (redId) => {
              setReversing(false);
              if (!redId) return;
              onChanged();
              await load();
            }}
          />
        </>
      )}
    </Drawer>
  );
}

function ResendModal(props: {
  open: boolean;
  orgId: string;
  detail: InvoiceDetail;
  onDone(sent: boolean): void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<{ email: string; mobile: string }>();
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (props.open)
      form.setFieldsValue({ email: props.detail.email ?? "", mobile: props.detail.mobile ?? "" });
  }, [props.open, props.detail, form]);
  const submit = async (v: { email: string; mobile: string }) => {
    setSaving(true);
    try {
      await api.post(`/orgs/${props.orgId}/invoices/${props.detail.id}/resend`, v);
      message.success("已提交发送，可在交付记录中查看结果");
      props.onDone(true);
    } catch (e) {
      const leftovers = showFieldErrors(form, e, ["email", "mobile"]);
      if (leftovers.length) message.error(leftovers.join("；"));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      title="重新发送发票"
      open={props.open}
      onCancel={() => props.onDone(false)}
      onOk={() => form.submit()}
      okText="发送"
      confirmLoading={saving}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">
        默认发给购买方留下的地址，也可以改为其他邮箱或手机号。
      </Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label="邮箱" name="email">
          <Input data-testid="resend-email" />
        </Form.Item>
        <Form.Item label="手机号" name="mobile">
          <Input data-testid="resend-mobile" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
