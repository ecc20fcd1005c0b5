import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Collapse,
  Form,
  type FormInstance,
  Input,
  InputNumber,
  Modal,
  Row,
  Select,
  Skeleton,
  Space,
  Typography,
} from "antd";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ZeroRateKind } from "../../../../src/domain/types";
import { api, query } from "../api";
import type { Device, ReceiptCodeCreated, ReceiptCodeDetail, ReceiptConfig, TaxAccount } from "../api-types";
import { clearChangedErrors, showFieldErrors, toNamePath } from "../form-errors";
import { INVOICE_TYPE_OPTIONS } from "../labels";
import { setLeaveGuard } from "../leave-guard";
import { navigate, useLocation } from "../router";
import { useConsole } from "../session";
import { RefundsList } from "./invoices/invoice-detail-sections";
import { checkReceiptCodeForm } from "./receipt-code-checks";
import { EMPTY_ITEM_ROW, type LineRow, ReceiptCodeLines } from "./receipt-code-lines";
import { PrintModal } from "./receipt-codes/print-modal";

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

/** The optional header fields, folded under 更多 so that the lines show without scrolling. */
const MORE_FIELDS = ["taxAccountId", "validDays", "receiptFooter", "payee", "reviewer", "remark"];

/** The form's values as one text, "" / null / absent alike: what "unsaved changes" compares. */
function snapshotOf(values: Partial<FormValues>): string {
  return JSON.stringify(values, (_k, v) => (v === "" || v === null ? undefined : v));
}

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
  // The code just saved: its link, 打印小票, 复制链接 and 继续新增 are offered at once.
  const [saved, setSaved] = useState<{ id: string; serialNo: string; url: string } | null>(null);
  const [printing, setPrinting] = useState<{ id: string; serialNo: string } | null>(null);
  const values = Form.useWatch([], { form, preserve: true }) as FormValues | undefined;
  const allowedTypes: string[] = Form.useWatch("invoiceTypes", form) ?? [];

  const [moreOpen, setMoreOpen] = useState(false);
  /** The values as loaded (or last saved): the form has unsaved changes when they differ. */
  const baseline = useRef<string | null>(null);
  /** The 小票流水号 this page suggested, while the operator has not typed another. */
  const autoSerial = useRef<string | null>(null);
  const savedRef = useRef(saved);
  savedRef.current = saved;
  const snapshot = useCallback(() => {
    const v = form.getFieldsValue(true) as FormValues;
    // A suggested serial number is not the operator's work.
    return snapshotOf({ ...v, serialNo: v.serialNo === autoSerial.current ? "" : v.serialNo });
  }, [form]);
  const isDirty = useCallback(
    () => savedRef.current === null && baseline.current !== null && snapshot() !== baseline.current,
    [snapshot],
  );

  /** Suggests device + date + sequence (the server counts), unless the operator typed a number. */
  const suggestSerial = useCallback(
    async (deviceNo: string | undefined) => {
      if (editId) return;
      const typed = () => {
        const now = form.getFieldValue("serialNo") as string | undefined;
        return Boolean(now) && now !== autoSerial.current;
      };
      if (typed()) return;
      const { serialNo } = await api.get<{ serialNo: string }>(
        `/orgs/${orgId}/receipt-codes/next-serial${query({ deviceNo })}`,
      );
      if (typed()) return;
      autoSerial.current = serialNo;
      form.setFieldValue("serialNo", serialNo);
    },
    [editId, orgId, form],
  );

  const initialize = useCallback(async () => {
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
    autoSerial.current = null;
    baseline.current = snapshot();
    setConfig(c);
    await suggestSerial(form.getFieldValue("deviceNo"));
  }, [orgId, editId, copyId, form, snapshot, suggestSerial]);
  useEffect(() => {
    void initialize();
  }, [initialize]);

  // Every way out of the page with unsaved changes asks first: 取消, 返回列表, the menu, switching
  // the organization, the browser's back (leave-guard.ts), and closing or reloading the tab.
  useEffect(() => {
    const remove = setLeaveGuard({
      dirty: isDirty,
      ask: (proceed) =>
        modal.confirm({
          title: "放弃未保存的修改？",
          content: "本页填写的内容尚未保存，离开后将丢失。",
          okText: "放弃修改并离开",
          okButtonProps: { danger: true, "data-testid": "leave-confirm" },
          cancelText: "继续编辑",
          cancelButtonProps: { "data-testid": "leave-cancel" },
          onOk: proceed,
        }),
    });
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (!isDirty()) return;
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", beforeUnload);
    return () => {
      remove();
      window.removeEventListener("beforeunload", beforeUnload);
    };
  }, [isDirty, modal]);

  // As the operator types: the same rules engine the server uses, on the rows and fields as they
  // are. Problems show at their fields once a field was touched, and everywhere after 保存 / 预览.
  const [attempted, setAttempted] = useState(false);
  const live = useMemo(
    () =>
      checkReceiptCodeForm(values ?? {}, toLines(values?.lines ?? []), {
        limit: config?.limit ?? "0",
        overLimitPolicy: config?.overLimitPolicy ?? "reject",
      }),
    [values, config],
  );
  /** The paths whose errors this check put on the form (the server's are left alone). */
  const shownByCheck = useRef(new Set<string>());
  useEffect(() => {
    if (!config) return;
    // Paths built at run time ("lines[2].amount"): the untyped view of the same form.
    const fields = form as unknown as FormInstance;
    const updates: { name: Array<string | number>; errors: string[] }[] = [];
    for (const path of shownByCheck.current) {
      if (!live.fields[path]) {
        updates.push({ name: toNamePath(path), errors: [] });
        shownByCheck.current.delete(path);
      }
    }
    for (const [path, message] of Object.entries(live.fields)) {
      const name = toNamePath(path);
      if (!attempted && !fields.isFieldTouched(name)) continue;
      if (fields.getFieldError(name)[0] === message) continue;
      updates.push({ name, errors: [message] });
      shownByCheck.current.add(path);
    }
    if (updates.length > 0) fields.setFields(updates);
  }, [live, attempted, config, form]);

  /** False (and every problem shown at its field) while the form has problems the browser can see. */
  const readyToSend = () => {
    setAttempted(true);
    const first = Object.keys(live.fields)[0];
    if (!first && live.order.length === 0) return true;
    revealMore(Object.keys(live.fields));
    if (first) form.scrollToField(toNamePath(first));
    else setBanner(live.order);
    return false;
  };

  /** Opens 更多 when a problem is at one of its fields, so that the problem can be seen. */
  const revealMore = (paths: string[]) => {
    if (paths.some((p) => MORE_FIELDS.includes(p))) setMoreOpen(true);
  };

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
    const paths = Object.keys((remapped as { fields?: Record<string, string> })?.fields ?? {});
    revealMore(paths);
    const first = paths[0];
    if (first) form.scrollToField(toNamePath(first));
  };

  const preview = async () => {
    if (!readyToSend()) return;
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
    if (!readyToSend()) return;
    setBusy("save");
    setBanner([]);
    try {
      const body = toRequest(form.getFieldsValue(true), copyId);
      const saved = editId
        ? await api.put<ReceiptCodeDetail>(`/orgs/${orgId}/receipt-codes/${editId}`, body)
        : await api.post<ReceiptCodeCreated>(`/orgs/${orgId}/receipt-codes`, body);
      message.success(`小票码 ${saved.serialNo} 已保存`);
      setSaved({ id: saved.id, serialNo: saved.serialNo, url: saved.url });
      // What is saved is no longer unsaved work (编辑 stays on the page after its modal).
      savedRef.current = { id: saved.id, serialNo: saved.serialNo, url: saved.url };
      autoSerial.current = null;
      baseline.current = snapshot();
    } catch (e) {
      showErrors(e);
    } finally {
      setBusy(null);
    }
  };

  const copyLink = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      message.success("已复制开票链接");
    } catch {
      message.error("无法访问剪贴板，请手动选中链接复制");
    }
  };
  const addAnother = () => {
    navigate("/receipt-codes/new");
    setSaved(null);
    savedRef.current = null;
    form.resetFields();
    setAttempted(false);
    setMoreOpen(false);
    // From a copy the address changes and the page loads afresh; from 新增 it stays: load here.
    if (!copyId) void initialize();
  };

  // Ctrl+S (⌘S on a Mac) saves, wherever the focus is on the page.
  const saveRef = useRef(save);
  saveRef.current = save;
  const busyRef = useRef(busy);
  busyRef.current = busy;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.key.toLowerCase() !== "s") return;
      e.preventDefault();
      if (savedRef.current === null && busyRef.current === null) void saveRef.current();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (!config) return <Skeleton active />;
  const title = editId ? "编辑小票码" : copyId ? "新增小票码（复制）" : "新增小票码";
  return (
    <Form<FormValues>
      form={form}
      layout="vertical"
      requiredMark
      onValuesChange={(changed: Partial<FormValues>) => {
        setBanner([]);
        clearChangedErrors(form, changed);
        if ("deviceNo" in changed) void suggestSerial(changed.deviceNo);
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
            <Form.Item
              label="小票流水号"
              name="serialNo"
              required
              extra={editId ? undefined : "自动生成（设备编号-日期-序号），可修改"}
            >
              <Input
                maxLength={50}
                placeholder={copyId ? "复制时须填写新的流水号" : "如 POS-01-20260301-0001"}
                data-testid="serial-no"
              />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item label="设备编号" name="deviceNo">
              <Select
                allowClear
                options={devices.map((d) => ({ value: d.deviceNo, label: `${d.deviceNo} ${d.name}` }))}
                data-testid="device-no"
              />
            </Form.Item>
          </Col>
          <Col span={4}>
            <Form.Item label="开票人" name="drawer" required>
              <Input maxLength={20} data-testid="drawer" />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item label="默认发票种类" name="defaultInvoiceType" required>
              <Select options={INVOICE_TYPE_OPTIONS.filter((o) => allowedTypes.includes(o.value))} />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item label="可选票种" name="invoiceTypes" required style={{ marginBottom: 8 }}>
              <Checkbox.Group
                options={INVOICE_TYPE_OPTIONS.filter((o) => config.invoiceTypes.includes(o.value))}
              />
            </Form.Item>
          </Col>
        </Row>
        {/* Optional and defaulted fields: folded, but mounted (forceRender), so they are sent and checked. */}
        <Collapse
          ghost
          size="small"
          activeKey={moreOpen ? ["more"] : []}
          onChange={(keys) => setMoreOpen(keys.includes("more"))}
          items={[
            {
              key: "more",
              forceRender: true,
              label: (
                <span data-testid="form-more">
                  更多（电子税局账号、有效期、收款人、复核人、备注、销售方）
                </span>
              ),
              children: (
                <Row gutter={16}>
                  <Col span={8}>
                    <Form.Item label="电子税局账号" name="taxAccountId">
                      <Select allowClear options={accounts.map((a) => ({ value: a.id, label: a.name }))} />
                    </Form.Item>
                  </Col>
                  <Col span={8}>
                    <Form.Item label="开票码有效期" name="validDays" required extra="自保存时起计算">
                      <InputNumber min={1} max={3650} precision={0} suffix="天" style={{ width: "100%" }} />
                    </Form.Item>
                  </Col>
                  <Col span={4}>
                    <Form.Item label="收款人" name="payee">
                      <Input maxLength={20} data-testid="payee" />
                    </Form.Item>
                  </Col>
                  <Col span={4}>
                    <Form.Item label="复核人" name="reviewer">
                      <Input maxLength={20} />
                    </Form.Item>
                  </Col>
                  <Col span={24}>
                    <Form.Item label="小票底部备注" name="receiptFooter">
                      <Input maxLength={200} placeholder="打印在小票底部，如：请于 30 天内扫码开具电子发票" />
                    </Form.Item>
                  </Col>
                  <Col span={24}>
                    <Form.Item label="发票备注" name="remark">
                      <Input.TextArea rows={2} maxLength={200} data-testid="remark" />
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
                </Row>
              ),
            },
          ]}
        />
      </Card>
      <Card className="page-card">
        <ReceiptCodeLines
          orgId={orgId}
          computed={live.computed}
          perRow={live.perRow}
          issueCount={Object.keys(live.fields).filter((p) => p.startsWith("lines")).length}
          orderProblems={live.order}
        />
      </Card>
      {editId ? <RefundsList url={`/orgs/${orgId}/receipt-codes/${editId}/refunds`} /> : null}
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
        title="小票码已保存"
        open={saved !== null}
        closable={false}
        maskClosable={false}
        footer={
          saved && [
            <Button key="print" onClick={() => setPrinting(saved)} data-testid="saved-print">
              打印小票
            </Button>,
            <Button key="copy" onClick={() => copyLink(saved.url)} data-testid="saved-copy">
              复制链接
            </Button>,
            ...(editId
              ? []
              : [
                  <Button key="more" onClick={addAnother} data-testid="saved-add-another">
                    继续新增
                  </Button>,
                ]),
            <Button key="list" type="primary" onClick={() => navigate("/receipt-codes")}>
              返回列表
            </Button>,
          ]
        }
      >
        {saved && (
          <Space direction="vertical">
            <span>流水号：{saved.serialNo}</span>
            <span>
              开票链接：
              <Typography.Text data-testid="saved-url">{saved.url}</Typography.Text>
            </span>
          </Space>
        )}
      </Modal>
      <PrintModal orgId={orgId} code={printing} onClose={() => setPrinting(null)} />
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
