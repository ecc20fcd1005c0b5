import { Button, Form, Input, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import type { ComputedInvoice, ComputedLine } from "../../../../src/domain/types";
import { api, query } from "../api";
import type { Item, Page } from "../api-types";
import { TAX_RATE_OPTIONS, ZERO_RATE_OPTIONS } from "../labels";
import { yuan } from "../money";

/** One row of the lines table as the form holds it. */
export interface LineRow {
  kind: "item" | "discount";
  itemCode?: string;
  name?: string;
  shortName?: string;
  taxCode?: string;
  taxRate?: string;
  zeroRateKind?: string | null;
  spec?: string;
  unit?: string;
  quantity?: string;
  unitPrice?: string;
  amount?: string;
}

export const EMPTY_ITEM_ROW: LineRow = { kind: "item", taxRate: "0.13" };

/** 开票项 picker: searches the organization's items as one types. */
function ItemPicker(props: {
  orgId: string;
  value?: string;
  onChange?: (v: string) => void;
  onPick: (item: Item) => void;
  testId: string;
}) {
  const [items, setItems] = useState<Item[]>([]);
  const { orgId } = props;
  const search = useCallback(
    (q: string) =>
      api.get<Page<Item>>(`/orgs/${orgId}/items${query({ q, pageSize: 20 })}`).then((p) => setItems(p.items)),
    [orgId],
  );
  useEffect(() => {
    void search("");
  }, [search]);
  const [q, setQ] = useState("");
  return (
    <Select
      showSearch
      value={props.value}
      placeholder="选择开票项"
      filterOption={false}
      onSearch={(text) => {
        setQ(text);
        void search(text);
      }}
      // Items added meanwhile (in another tab, through the link below) show when the list opens again.
      onOpenChange={(open) => {
        if (open) void search(q);
      }}
      notFoundContent={
        <div className="picker-empty" data-testid="item-picker-empty">
          <Typography.Text type="secondary">{q ? "没有匹配的开票项" : "还没有开票项"}</Typography.Text>{" "}
          <Typography.Link
            href="/admin/base-data?tab=items&new=1"
            target="_blank"
            rel="noopener"
            data-testid="item-picker-add"
          >
            新增开票项
          </Typography.Link>
          <div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              在新标签页中添加，本页已填写的内容不受影响
            </Typography.Text>
          </div>
        </div>
      }
      onChange={(code: string) => {
        props.onChange?.(code);
        const item = items.find((i) => i.code === code);
        if (item) props.onPick(item);
      }}
      options={items.map((i) => ({ value: i.code, label: `${i.name}（${i.code}）` }))}
      style={{ width: "100%" }}
      popupMatchSelectWidth={320}
      data-testid={props.testId}
    />
  );
}

/**
 * The item lines with 增行 / 新增折扣行 / 删除 and the live totals. `computed` is the rules engine's
 * result for the current rows (null while they do not compute yet), so every number shown here
 * comes from src/domain.
 */
export function ReceiptCodeLines(props: {
  orgId: string;
  computed: ComputedInvoice | null;
  /** Each row's amounts where the row computes on its own, even while another row has a problem. */
  perRow: Array<ComputedLine | undefined>;
  issueCount: number;
  /** Problems of the whole order (the limit), shown under the totals. */
  orderProblems: string[];
}) {
  const form = Form.useFormInstance();
  const rows: LineRow[] = Form.useWatch("lines", { form, preserve: true }) ?? [];
  const { computed } = props;

  return (
    <Form.List name="lines">
      {(fields, { add, remove }) => {
        const last = rows[rows.length - 1];
        const canAddDiscountAt = (i: number) => rows[i]?.kind === "item" && rows[i + 1]?.kind !== "discount";
        return (
          <>
            <div className="toolbar">
              <Typography.Text strong>商品明细</Typography.Text>
              <Space>
                <Button onClick={() => add({ ...EMPTY_ITEM_ROW })} data-testid="add-line">
                  增行
                </Button>
                <Button
                  onClick={() => add({ kind: "discount" })}
                  disabled={!last || !canAddDiscountAt(rows.length - 1)}
                  data-testid="add-discount"
                >
                  新增折扣行
                </Button>
              </Space>
            </div>
            <Table
              className="lines-table"
              size="small"
              bordered
              pagination={false}
              rowKey="key"
              dataSource={fields}
              rowClassName={(f) => (rows[f.name]?.kind === "discount" ? "discount-row" : "")}
              columns={[
                { title: "序号", width: 50, align: "center", render: (_, f) => f.name + 1 },
                {
                  title: "开票项 / 项目名称",
                  width: 230,
                  render: (_, f) =>
                    rows[f.name]?.kind === "discount" ? (
                      <Space>
                        <Tag color="volcano">折扣行</Tag>
                        <Typography.Text type="secondary">折扣第 {f.name} 行</Typography.Text>
                      </Space>
                    ) : (
                      <Space direction="vertical" size={2} style={{ width: "100%" }}>
                        <Form.Item name={[f.name, "itemCode"]}>
                          <ItemPicker
                            orgId={props.orgId}
                            testId={`line-${f.name}-item`}
                            onPick={(item) =>
                              form.setFieldValue(["lines", f.name], {
                                ...rows[f.name],
                                kind: "item",
                                itemCode: item.code,
                                name: item.name,
                                shortName: item.shortName,
                                taxCode: item.taxCode,
                                taxRate: item.taxRate,
                                zeroRateKind: item.zeroRateKind,
                                spec: item.spec,
                                unit: item.unit,
                                unitPrice: item.unitPrice ?? undefined,
                                quantity: item.unitPrice ? "1" : undefined,
                              })
                            }
                          />
                        </Form.Item>
                        {rows[f.name]?.shortName && (
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            *{rows[f.name]?.shortName}*{rows[f.name]?.name}
                          </Typography.Text>
                        )}
                        <Form.Item name={[f.name, "name"]} hidden>
                          <Input />
                        </Form.Item>
                        <Form.Item name={[f.name, "shortName"]} hidden>
                          <Input />
                        </Form.Item>
                        <Form.Item name={[f.name, "taxCode"]} hidden>
                          <Input />
                        </Form.Item>
                      </Space>
                    ),
                },
                {
                  title: "规格型号",
                  width: 100,
                  render: (_, f) =>
                    rows[f.name]?.kind === "item" && (
                      <Form.Item name={[f.name, "spec"]}>
                        <Input />
                      </Form.Item>
                    ),
                },
                {
                  title: "单位",
                  width: 72,
                  render: (_, f) =>
                    rows[f.name]?.kind === "item" && (
                      <Form.Item name={[f.name, "unit"]}>
                        <Input />
                      </Form.Item>
                    ),
                },
                {
                  title: "数量",
                  width: 90,
                  render: (_, f) =>
                    rows[f.name]?.kind === "item" && (
                      <Form.Item name={[f.name, "quantity"]}>
                        <Input className="money" data-testid={`line-${f.name}-quantity`} />
                      </Form.Item>
                    ),
                },
                {
                  title: "单价（含税）",
                  width: 110,
                  render: (_, f) =>
                    rows[f.name]?.kind === "item" && (
                      <Form.Item name={[f.name, "unitPrice"]}>
                        <Input className="money" data-testid={`line-${f.name}-price`} />
                      </Form.Item>
                    ),
                },
                {
                  title: "金额（含税）",
                  width: 120,
                  render: (_, f) => (
                    <Form.Item name={[f.name, "amount"]}>
                      <Input
                        className="money"
                        onKeyDown={(e) => {
                          // Enter in the last cell of the last line starts a new line, its item picker focused.
                          if (e.key !== "Enter" || f.name !== fields.length - 1) return;
                          e.preventDefault();
                          add({ ...EMPTY_ITEM_ROW });
                          const next = fields.length;
                          setTimeout(() => {
                            const picker = document.querySelector<HTMLElement>(
                              `[data-testid="line-${next}-item"] input, input[data-testid="line-${next}-item"]`,
                            );
                            picker?.focus();
                          }, 0);
                        }}
                        placeholder={
                          props.perRow[f.name]?.amountIncludingTax ??
                          (rows[f.name]?.kind === "discount" ? "负数，如 -5.00" : "")
                        }
                        data-testid={`line-${f.name}-amount`}
                      />
                    </Form.Item>
                  ),
                },
                {
                  title: "税率",
                  width: 104,
                  render: (_, f) =>
                    rows[f.name]?.kind === "item" ? (
                      <Space direction="vertical" size={2} style={{ width: "100%" }}>
                        <Form.Item name={[f.name, "taxRate"]}>
                          <Select options={TAX_RATE_OPTIONS} />
                        </Form.Item>
                        {rows[f.name]?.taxRate === "0" && (
                          <Form.Item name={[f.name, "zeroRateKind"]}>
                            <Select options={ZERO_RATE_OPTIONS} placeholder="零税率类型" />
                          </Form.Item>
                        )}
                      </Space>
                    ) : (
                      <Typography.Text type="secondary">
                        {props.perRow[f.name]?.taxRateLabel ?? "同上"}
                      </Typography.Text>
                    ),
                },
                {
                  title: "税额",
                  width: 84,
                  align: "right",
                  className: "money",
                  render: (_, f) => props.perRow[f.name]?.tax ?? "—",
                },
                {
                  title: "操作",
                  width: 84,
                  render: (_, f) => (
                    <Space size={0} direction="vertical">
                      {canAddDiscountAt(f.name) && (
                        <Button
                          type="link"
                          size="small"
                          onClick={() => add({ kind: "discount" }, f.name + 1)}
                        >
                          加折扣
                        </Button>
                      )}
                      <Button
                        type="link"
                        size="small"
                        danger
                        onClick={() => {
                          // An item's discount row goes with it: it cannot stand alone.
                          if (rows[f.name]?.kind === "item" && rows[f.name + 1]?.kind === "discount")
                            remove([f.name, f.name + 1]);
                          else remove(f.name);
                        }}
                        data-testid={`line-${f.name}-delete`}
                      >
                        删除
                      </Button>
                    </Space>
                  ),
                },
              ]}
            />
            <div className="totals-bar" data-testid="totals">
              {computed ? (
                <>
                  <span>
                    金额 <strong data-testid="total-excl">{yuan(computed.totals.amountExcludingTax)}</strong>
                  </span>
                  <span>
                    税额 <strong data-testid="total-tax">{yuan(computed.totals.taxAmount)}</strong>
                  </span>
                  <span className="grand">
                    价税合计 <strong data-testid="total-amount">{yuan(computed.totals.totalAmount)}</strong>
                  </span>
                </>
              ) : (
                <Typography.Text type="secondary" data-testid="totals-pending">
                  {rows.length === 0
                    ? "请添加商品明细"
                    : `明细有 ${props.issueCount} 处待修改（见标红处），合计暂不可算`}
                </Typography.Text>
              )}
              {props.orderProblems.map((p) => (
                <Typography.Text type="danger" key={p} data-testid="order-problem">
                  {p}
                </Typography.Text>
              ))}
            </div>
          </>
        );
      }}
    </Form.List>
  );
}
