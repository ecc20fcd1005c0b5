import { Alert, App, Input, Modal, Radio, Select, Table, Typography } from "antd";
import { useState } from "react";
import { ApiError, api } from "../../api";
import type { InvoiceDetail } from "../../api-types";
import { RED_REASONS, yuan } from "./invoice-labels";

type Reversible = NonNullable<InvoiceDetail["reversible"]>;
type Mode = "whole" | "lines" | "amount" | "reissue";

/**
 * What remains reversible of a blue invoice, per line and in total (部分红冲); the amounts come from
 * the server (the domain computes money, the page only shows it).
 */
export function ReversibleTable({ reversible }: { reversible: Reversible }) {
  return (
    <>
      <Table
        rowKey="lineNo"
        size="small"
        pagination={false}
        dataSource={reversible.lines}
        data-testid="reversible"
        columns={[
          { title: "行", dataIndex: "lineNo", width: 50 },
          { title: "项目名称", dataIndex: "itemName" },
          { title: "数量", dataIndex: "quantity", align: "right", render: (q: string | null) => q ?? "—" },
          {
            title: "价税合计",
            dataIndex: "amountIncludingTax",
            align: "right",
            render: (a: string) => yuan(a),
          },
          {
            title: "已红冲",
            dataIndex: "reversedAmount",
            align: "right",
            render: (a: string, l) =>
              l.reversedQuantity && l.reversedQuantity !== "0"
                ? `${l.reversedQuantity} / ${yuan(a)}`
                : yuan(a),
          },
          {
            title: "可红冲",
            dataIndex: "remainingAmount",
            align: "right",
            render: (a: string, l) =>
              l.remainingQuantity !== null ? `${l.remainingQuantity} / ${yuan(a)}` : yuan(a),
          },
        ]}
      />
      <Typography.Text data-testid="reversible-total">
        可红冲合计 {yuan(reversible.remaining.totalAmount)}
      </Typography.Text>
    </>
  );
}

/**
 * 红冲 dialog: in full (what remains), by lines with quantities, or by amount (销售折让). Bad input is
 * the server's to judge: its message names the line and what remains.
 */
export function ReverseModal(props: {
  open: boolean;
  orgId: string;
  detail: InvoiceDetail;
  onDone(redId: string | null): void;
}) {
  const { message } = App.useApp();
  // No reason is preselected: the operator must pick the one that applies (it is printed on the red invoice).
  const [reason, setReason] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>("whole");
  const [quantities, setQuantities] = useState<Record<number, string>>({});
  const [amount, setAmount] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // 红冲并重开: the corrected buyer and type of the new invoice.
  const [buyer, setBuyer] = useState({
    type: props.detail.buyer.type as string,
    name: props.detail.buyer.name,
    taxId: props.detail.buyer.taxId ?? "",
    invoiceType: props.detail.invoiceType,
  });
  const reversible = props.detail.reversible;
  const remaining = reversible?.remaining.totalAmount ?? props.detail.totals.totalAmount;

  const body = () => {
    if (mode === "amount") return { reason, amount: amount.trim() };
    if (mode === "lines") {
      const lines = Object.entries(quantities)
        .filter(([, q]) => q.trim() !== "")
        .map(([lineNo, q]) => {
          const line = reversible?.lines.find((l) => l.lineNo === Number(lineNo));
          // A line without quantity takes an amount (销售折让) or, with "全部", what remains.
          if (q.trim() === "全部") return { lineNo: Number(lineNo) };
          return line?.quantity === null
            ? { lineNo: Number(lineNo), amount: q.trim() }
            : { lineNo: Number(lineNo), quantity: q.trim() };
        });
      return { reason, lines };
    }
    return { reason };
  };

  const reissue = async () => {
    const done = await api.post<{ redInvoiceId: string; newInvoiceId: string }>(
      `/orgs/${props.orgId}/invoices/${props.detail.id}/reissue`,
      {
        invoiceType: buyer.invoiceType,
        buyer: { type: buyer.type, name: buyer.name.trim(), taxId: buyer.taxId.trim() || undefined },
      },
    );
    message.success("已红冲，并按新的购买方重新开具");
    props.onDone(done.newInvoiceId);
  };

  const submit = async () => {
    if (mode !== "reissue" && !reason) {
      setError("请选择红冲原因");
      return;
    }
    setSaving(true);
    setError(null);
    try {
      if (mode === "reissue") {
        await reissue();
        return;
      }
      const red = await api.post<InvoiceDetail>(
        `/orgs/${props.orgId}/invoices/${props.detail.id}/reverse`,
        body(),
      );
      if (red.status === "issued") message.success(`已红冲，红字发票号码 ${red.number}`);
      else if (red.status === "failed") message.error(`红字发票开具失败：${red.failureReason ?? ""}`);
      else message.info("红字发票已提交，等待开具或确认");
      setQuantities({});
      setAmount("");
      props.onDone(red.id);
    } catch (e) {
      const fields = e instanceof ApiError ? Object.values(e.fields) : [];
      setError(fields.length > 0 ? fields.join("；") : e instanceof Error ? e.message : String(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={`红冲发票 ${props.detail.number}`}
      open={props.open}
      onCancel={() => props.onDone(null)}
      onOk={submit}
      okText="确认红冲"
      okButtonProps={{ danger: true, id: "confirm-reverse" }}
      confirmLoading={saving}
      destroyOnHidden
      width={720}
    >
      {mode !== "reissue" && (
        <>
          <Typography.Text strong>
            <span style={{ color: "#cf1322" }}>* </span>红冲原因
          </Typography.Text>
          <Radio.Group
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              setError(null);
            }}
            style={{ display: "flex", gap: 8, margin: "8px 0 16px" }}
            data-testid="reverse-reason"
            options={RED_REASONS.map((r) => ({ value: r, label: r }))}
          />
        </>
      )}
      <Typography.Text strong>红冲方式</Typography.Text>
      <Radio.Group
        value={mode}
        onChange={(e) => setMode(e.target.value)}
        style={{ display: "flex", gap: 8, margin: "8px 0 16px" }}
        data-testid="reverse-mode"
        options={[
          { value: "whole", label: "全额（剩余全部）" },
          { value: "lines", label: "按明细行与数量" },
          { value: "amount", label: "按金额（销售折让）" },
          ...(props.detail.status === "issued" ? [{ value: "reissue", label: "红冲并重开" }] : []),
        ]}
      />
      {mode === "reissue" && (
        <div data-testid="reissue-form" style={{ display: "grid", gap: 8 }}>
          <Typography.Paragraph style={{ margin: 0 }}>
            整张红冲后，以同一笔消费按更正后的购买方重新开具一张蓝字发票（新发票与原发票关联），并发送给购买方。
          </Typography.Paragraph>
          <Select
            value={buyer.invoiceType}
            onChange={(v) => setBuyer({ ...buyer, invoiceType: v })}
            options={[
              { value: "digital_normal", label: "数电普票" },
              { value: "digital_special", label: "数电专票" },
            ]}
          />
          <Select
            value={buyer.type}
            onChange={(v) => setBuyer({ ...buyer, type: v })}
            options={[
              { value: "enterprise", label: "企业" },
              { value: "individual", label: "个人" },
              { value: "non_enterprise", label: "非企业性单位" },
            ]}
          />
          <Input
            addonBefore="购买方名称"
            data-testid="reissue-name"
            value={buyer.name}
            onChange={(e) => setBuyer({ ...buyer, name: e.target.value })}
          />
          <Input
            addonBefore="纳税人识别号"
            data-testid="reissue-tax-id"
            value={buyer.taxId}
            onChange={(e) => setBuyer({ ...buyer, taxId: e.target.value })}
          />
        </div>
      )}
      {mode === "whole" && (
        <Typography.Paragraph>
          将开具一张红字发票，冲销剩余可红冲的全部金额（价税合计 {yuan(`-${remaining}`)}），并发送给购买方。
        </Typography.Paragraph>
      )}
      {mode === "lines" && reversible && (
        <Table
          rowKey="lineNo"
          size="small"
          pagination={false}
          dataSource={reversible.lines}
          data-testid="reverse-lines"
          columns={[
            { title: "行", dataIndex: "lineNo", width: 50 },
            { title: "项目名称", dataIndex: "itemName" },
            {
              title: "可红冲",
              dataIndex: "remainingAmount",
              align: "right",
              render: (a: string, l) =>
                l.remainingQuantity !== null ? `${l.remainingQuantity} ${l.unit} / ${yuan(a)}` : yuan(a),
            },
            {
              title: "红冲数量（无数量的行填金额；“全部”为整行剩余）",
              width: 200,
              render: (_: unknown, l) => (
                <Input
                  size="small"
                  data-testid={`reverse-line-${l.lineNo}`}
                  placeholder={
                    l.quantity === null ? (reason === "销售折让" ? "金额或“全部”" : "“全部”") : "数量"
                  }
                  disabled={l.remainingAmount === "0.00"}
                  value={quantities[l.lineNo] ?? ""}
                  onChange={(e) => setQuantities({ ...quantities, [l.lineNo]: e.target.value })}
                />
              ),
            },
          ]}
        />
      )}
      {mode === "amount" && (
        <>
          <Typography.Paragraph>
            销售折让：按各行剩余金额的比例冲销，最多 {yuan(remaining)}（含税）。
          </Typography.Paragraph>
          <Input
            data-testid="reverse-amount"
            addonBefore="折让金额（含税）"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            placeholder="如 50.00"
          />
        </>
      )}
      {error && (
        <Alert style={{ marginTop: 16 }} type="error" showIcon message={error} data-testid="reverse-error" />
      )}
    </Modal>
  );
}
