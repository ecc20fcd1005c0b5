import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  Input,
  InputNumber,
  Modal,
  Row,
  Select,
  Skeleton,
  Space,
  Typography,
} from "antd";
import { useEffect, useMemo, useState } from "react";
import { computeInvoice } from "../../../../src/domain/invoice";
import type { ZeroRateKind } from "../../../../src/domain/types";
import { api } from "../api";
import type { Device, ReceiptCodeCreated, ReceiptCodeDetail, ReceiptConfig, TaxAccount } from "../api-types";
import { clearChangedErrors, showFieldErrors, toNamePath } from "../form-errors";
import { INVOICE_TYPE_OPTIONS } from "../labels";
import { navigate, useLocation } from "../router";
import { useConsole } from "../session";
import { EMPTY_ITEM_ROW, type LineRow, ReceiptCodeLines } from "./receipt-code-lines";

interface FormValues {
  serialNo: string;
  deviceNo?: string;
  taxAccountId?: string;
  invoiceTypes: string[];
  defaultInvoiceType: string;
  validDays: number;
  receiptFooter?: string;
  drawer?: string;
  payee?: string;
  reviewer?: string;
  remark?: string;
  lines: LineRow[];
}

const FIELDS = [
  "serialNo",
  "deviceNo",
  "taxAccountId",
  "invoiceTypes",
  "defaultInvoiceType",
  "validDays",
  "receiptFooter",
  "drawer",
  "payee",
  "reviewer",
  "remark",
  "lines.itemCode",
  "lines.spec",
  "lines.unit",
  "lines.quantity",
  "lines.unitPrice",
  "lines.amount",
  "lines.taxRate",
  "lines.zeroRateKind",
];

const blank = (v: string | undefined | null) =>
  v === undefined || v === null || v.trim() === "" ? undefined : v.trim();

/** The rows as the API (and the rules engine) read them: canonical rows, one per table row. */
function toLines(rows: LineRow[]) {
  return rows.map((r) =>
    r.kind === "discount"
      ? { kind: "discount" as const, amount: blank(r.amount) ?? "" }
      : {
          name: r.name ?? "",
          shortName: r.shortName ?? "",
          taxCode: r.taxCode ?? "",
          taxRate: r.taxRate ?? "",
          zeroRateKind:
            r.taxRate === "0" ? ((r.zeroRateKind ?? undefined) as ZeroRateKind | undefined) : undefined,
          spec: r.spec ?? "",
          unit: r.unit ?? "",
          quantity: blank(r.quantity),
          unitPrice: blank(r.unitPrice),
          amount: blank(r.amount),
        },
  );
}

function toRequest(v: FormValues, copiedFromId?: string) {
  return {
    serialNo: v.serialNo ?? "",
    deviceNo: v.deviceNo || undefined,
    taxAccountId: v.taxAccountId || undefined,
    invoiceTypes: v.invoiceTypes ?? [],
    defaultInvoiceType: v.defaultInvoiceType,
    validDays: v.validDays,
    receiptFooter: v.receiptFooter ?? "",
    drawer: v.drawer ?? "",
    payee: v.payee ?? "",
    reviewer: v.reviewer ?? "",
    remark: v.remark ?? "",
    lines: toLines(v.lines ?? []),
    ...(copiedFromId ? { copiedFromId } : {}),
  };
}

/** A stored code as form rows: a discounted line and its discount become an item row and a discount row. */
function fromDetail(d: ReceiptCodeDetail): Partial<FormValues> {
  return {
    deviceNo: d.deviceNo ?? undefined,
    taxAccountId: d.taxAccountId ?? undefined,
    invoiceTypes: d.invoiceTypes,
    defaultInvoiceType: d.defaultInvoiceType,
    receiptFooter: d.receiptFooter,
    drawer: d.drawer,
    payee: d.payee,
    reviewer: d.reviewer,
    remark: d.remark,
    lines: d.lines.map((l) =>
      l.kind === "discount"
        ? { kind: "discount", amount: l.amount }
        : {
            kind: "item",
            name: l.name,
            shortName: l.shortName,
            taxCode: l.taxCode,
            taxRate: l.taxRate,
            zeroRateKind: l.zeroRateKind,
            spec: l.spec,
            unit: l.unit,
            quantity: l.quantity ?? undefined,
            unitPrice: l.unitPrice ?? undefined,
            amount: l.amount,
          },
    ),
  };
}

/** 新增 / 编辑 / 新增（复制）of a receipt code (F17010), fields in the order of PRODUCT.md §2. */
export default function ReceiptCodeFormPage({ editId }: { editId?: string }) {
  const { orgId } = useConsole();
  const { params } = useLocation();
  const copyId = editId ? undefined : (params.get("copy") ?? undefined);
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const [config, setConfig] = useState<ReceiptConfig | null>(null);
  const [devices, setDevices] = useState<Device[]>([]);
  const [accounts, setAccounts] = useState<TaxAccount[]>([]);
  const [banner, setBanner] = useState<string[]>([]);
  const [busy, setBusy] = useState<"save" | "preview" | null>(null);
  const [previewUrl, setPreviewUrl] = useState<string | null>(null);
  const values = Form.useWatch([], { form, preserve: true }) as FormValues | undefined;
  const allowedTypes: string[] = Form.useWatch("invoiceTypes", form) ?? [];

  useEffect(() => {
    void (async () => {
      const [c, d, a] = await Promise.all([
        api.get<ReceiptConfig>(`/orgs/${orgId}/config`),
        api.get<Device[]>(`/orgs/${orgId}/devices`),
        api.get<TaxAccount[]>(`/orgs/${orgId}/tax-accounts`),
      ]);
      setDevices(d.filter((x) => x.isActive));
      setAccounts(a);
      const defaults: Partial<FormValues> = {
        taxAccountId: c.defaultTaxAccountId ?? undefined,
        invoiceTypes: c.invoiceTypes,
        defaultInvoiceType: c.defaultInvoiceType,
        validDays: c.validDays,
        drawer: c.defaultDrawer,
        payee: c.defaultPayee,
        reviewer: c.defaultReviewer,
        lines: [{ ...EMPTY_ITEM_ROW }],
      };
      const source = editId ?? copyId;
      if (source) {
        const detail = await api.get<ReceiptCodeDetail>(`/orgs/${orgId}/receipt-codes/${source}`);
        form.setFieldsValue({
          ...defaults,
          ...fromDetail(detail),
          serialNo: editId ? detail.serialNo : "",
          validDays: c.validDays,
        });
      } else form.setFieldsValue(defaults);
      setConfig(c);
    })();
  }, [orgId, editId, copyId, form]);

  // Live totals: the same rules engine the server uses, on the rows as they are typed.
  const live = useMemo(() => {
    const rows = values?.lines ?? [];
    if (rows.length === 0) return { computed: null, issues: 0 };
    const result = computeInvoice({ lines: toLines(rows) });
    return result.ok
      ? { computed: result.value, issues: 0 }
      : { computed: null, issues: result.issues.length };
  }, [values?.lines]);

  /** The server's field paths, with the item's hidden fields shown at the item picker. */
  const showErrors = (e: unknown) => {
    const remapped =
      e && typeof e === "object" && "fields" in e
        ? Object.assign(e, {
            fields: Object.fromEntries(
              Object.entries((e as { fields: Record<string, string> }).fields).map(([p, m]) => [
                p.replace(/\.(name|shortName|taxCode)$/, ".itemCode"),
                m,
              ]),
            ),
          })
        : e;
    const rest = showFieldErrors(form, remapped, FIELDS);
    setBanner(rest);
    const first = Object.keys((remapped as { fields?: Record<string, string> })?.fields ?? {})[0];
    if (first) form.scrollToField(toNamePath(first));
  };

  const preview = async () => {
    setBusy("preview");
    setBanner([]);
    try {
      const blob = await api.postForBlob(
        `/orgs/${orgId}/receipt-codes/preview`,
        toRequest(form.getFieldsValue(true)),
      );
      setPreviewUrl(URL.createObjectURL(blob));
    } catch (e) {
      showErrors(e);
    } finally {
      setBusy(null);
    }
  };

  const save = async () => {
    setBusy("save");
    setBanner([]);
    try {
      const body = toRequest(form.getFieldsValue(true), copyId);
      const saved = editId
        ? await api.put<ReceiptCodeDetail>(`/orgs/${orgId}/receipt-codes/${editId}`, body)
        : await api.post<ReceiptCodeCreated>(`/orgs/${orgId}/receipt-codes`, body);
      message.success(`小票码 ${saved.serialNo} 已保存`);
      modal.success({
        title: "小票码已保存",
        content: (
          <Space direction="vertical">
            <span>流水号：{saved.serialNo}</span>
            <span>
              开票链接：
              <Typography.Text copyable data-testid="saved-url">
                {saved.url}
              </Typography.Text>
            </span>
          </Space>
        ),
        okText: "返回列表",
        onOk: () => navigate("/receipt-codes"),
      });
    } catch (e) {
      showErrors(e);
    } finally {
      setBusy(null);
    }
  };

  if (!config) return <Skeleton active />;
  const title = editId ? "编辑小票码" : copyId ? "新增小票码（复制）" : "新增小票码";
  return (
    <Form<FormValues>
      form={form}
      layout="vertical"
      requiredMark
      onValuesChange={(changed) => {
        setBanner([]);
        clearChangedErrors(form, changed);
      }}
    >
      <Card
        className="page-card"
        title={title}
        extra={<Button onClick={() => navigate("/receipt-codes")}>返回列表</Button>}
      >
        {banner.length > 0 && (
          <Alert
            type="error"
            showIcon
            message={banner.join("；")}
            style={{ marginBottom: 16 }}
            data-testid="form-banner"
          />
        )}
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item label="小票流水号" name="serialNo" required>
              <Input
                maxLength={50}
                placeholder={copyId ? "复制时须填写新的流水号" : "如 POS-01-20260301-0001"}
                data-testid="serial-no"
              />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item label="设备编号" name="deviceNo">
              <Select
                allowClear
                options={devices.map((d) => ({ value: d.deviceNo, label: `${d.deviceNo} ${d.name}` }))}
              />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item label="电子税局账号" name="taxAccountId">
              <Select allowClear options={accounts.map((a) => ({ value: a.id, label: a.name }))} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item label="可选票种" name="invoiceTypes" required>
              <Checkbox.Group
                options={INVOICE_TYPE_OPTIONS.filter((o) => config.invoiceTypes.includes(o.value))}
              />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item label="默认发票种类" name="defaultInvoiceType" required>
              <Select options={INVOICE_TYPE_OPTIONS.filter((o) => allowedTypes.includes(o.value))} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item label="开票码有效期" name="validDays" required extra="自保存时起计算">
              <InputNumber min={1} max={3650} precision={0} suffix="天" style={{ width: "100%" }} />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item label="小票底部备注" name="receiptFooter">
              <Input maxLength={200} placeholder="打印在小票底部，如：请于 30 天内扫码开具电子发票" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item label="销售方名称">
              <Input value={config.seller.name} disabled />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item label="销售方纳税人识别号">
              <Input value={config.seller.taxId} disabled />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item label="开票人" name="drawer" required>
              <Input maxLength={20} data-testid="drawer" />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item label="收款人" name="payee">
              <Input maxLength={20} />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item label="复核人" name="reviewer">
              <Input maxLength={20} />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item label="发票备注" name="remark">
              <Input.TextArea rows={2} maxLength={200} />
            </Form.Item>
          </Col>
        </Row>
      </Card>
      <Card className="page-card">
        <ReceiptCodeLines orgId={orgId} computed={live.computed} issueCount={live.issues} />
      </Card>
      <div className="form-actions">
        <Button onClick={() => navigate("/receipt-codes")}>取消</Button>
        <Button onClick={preview} loading={busy === "preview"} data-testid="preview">
          预览打印
        </Button>
        <Button type="primary" onClick={save} loading={busy === "save"} data-testid="save">
          保存
        </Button>
      </div>
      <Modal
        title="发票预览（预览，非正式发票）"
        open={previewUrl !== null}
        onCancel={() => {
          if (previewUrl) URL.revokeObjectURL(previewUrl);
          setPreviewUrl(null);
        }}
        footer={null}
        width={1040}
        destroyOnHidden
      >
        {previewUrl && (
          <iframe
            title="发票预览"
            src={previewUrl}
            style={{ width: "100%", height: "70vh", border: 0 }}
            data-testid="preview-frame"
          />
        )}
      </Modal>
    </Form>
  );
}
