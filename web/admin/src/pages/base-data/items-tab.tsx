import { App, AutoComplete, Button, Col, Form, Input, Row, Select, Switch, Tag } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api, query } from "../../api";
import type { Item, Page, TaxCategory } from "../../api-types";
import { TAX_RATE_OPTIONS, ZERO_RATE_OPTIONS } from "../../labels";
import { ListPage } from "../../list-page";
import { useLocation } from "../../router";
import { useCan, useConsole } from "../../session";
import { EditModal } from "./edit-modal";
import { ItemsImportModal } from "./items-import";

const FIELDS = [
  "code",
  "name",
  "shortName",
  "taxCode",
  "taxRate",
  "zeroRateKind",
  "spec",
  "unit",
  "unitPrice",
  "isActive",
];

/** 开票项: the goods master, searchable, importable from CSV or Excel. */
export function ItemsTab() {
  const { orgId } = useConsole();
  const can = useCan();
  const { message } = App.useApp();
  const { params } = useLocation();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [data, setData] = useState<Page<Item>>({ items: [], total: 0, page: 1, pageSize: 10 });
  const admin = can("administer");
  // The receipt-code form's empty item picker links here with ?new=1: the new-item form opens at once.
  const [editing, setEditing] = useState<Partial<Item> | null>(() =>
    params.get("new") === "1" && admin ? { taxRate: "0.13", isActive: true } : null,
  );
  const [importing, setImporting] = useState(false);

  const load = useCallback(
    () =>
      api
        .get<Page<Item>>(`/orgs/${orgId}/items${query({ q, page, pageSize: 10, includeInactive: "true" })}`)
        .then(setData),
    [orgId, q, page],
  );
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <ListPage<Item, object>
        embedded
        unit="项"
        total={data.total}
        page={page}
        pageSize={10}
        onPage={setPage}
        testId="items-table"
        actions={
          <>
            <Input.Search
              placeholder="搜索名称、编码、简称或税收分类编码"
              allowClear
              style={{ width: 360 }}
              onSearch={(v) => {
                setPage(1);
                setQ(v.trim());
              }}
              data-testid="item-search"
            />
            {admin && (
              <>
                <Button onClick={() => setImporting(true)} data-testid="items-import">
                  导入（CSV / Excel）
                </Button>
                <Button
                  type="primary"
                  onClick={() => setEditing({ taxRate: "0.13", isActive: true })}
                  data-testid="item-new"
                >
                  新增开票项
                </Button>
              </>
            )}
          </>
        }
        table={{
          dataSource: data.items,
          columns: [
            { title: "编码", dataIndex: "code", width: 120 },
            { title: "项目名称", dataIndex: "name", ellipsis: true },
            { title: "税收分类简称", dataIndex: "shortName", width: 130, ellipsis: true },
            { title: "税收分类编码", dataIndex: "taxCode", width: 190 },
            { title: "税率", dataIndex: "taxRateLabel", width: 80 },
            { title: "规格型号", dataIndex: "spec", width: 110, ellipsis: true },
            { title: "单位", dataIndex: "unit", width: 70 },
            {
              title: "单价",
              dataIndex: "unitPrice",
              className: "money",
              render: (p: string | null) => p ?? "—",
            },
            {
              title: "状态",
              dataIndex: "isActive",
              width: 70,
              render: (a: boolean) => (a ? <Tag color="green">启用</Tag> : <Tag>停用</Tag>),
            },
            ...(admin
              ? [
                  {
                    title: "操作",
                    width: 80,
                    render: (_: unknown, r: Item) => (
                      <Button type="link" size="small" onClick={() => setEditing(r)}>
                        编辑
                      </Button>
                    ),
                  },
                ]
              : []),
          ],
        }}
      />
      <EditModal<Item>
        title={editing?.id ? "编辑开票项" : "新增开票项"}
        open={editing !== null}
        initial={editing ?? {}}
        fields={FIELDS}
        width={640}
        onClose={() => setEditing(null)}
        onSave={async (v) => {
          const body = {
            code: v.code,
            name: v.name,
            shortName: v.shortName,
            taxCode: v.taxCode,
            taxRate: v.taxRate,
            zeroRateKind: v.taxRate === "0" ? v.zeroRateKind : null,
            spec: v.spec ?? "",
            unit: v.unit ?? "",
            unitPrice: v.unitPrice || null,
            isActive: v.isActive ?? true,
          };
          if (editing?.id) await api.put(`/orgs/${orgId}/items/${editing.id}`, body);
          else await api.post(`/orgs/${orgId}/items`, body);
          message.success("开票项已保存");
          await load();
        }}
      >
        {() => <ItemFields orgId={orgId} />}
      </EditModal>
      <ItemsImportModal
        orgId={orgId}
        open={importing}
        onClose={() => setImporting(false)}
        onImported={() => void load()}
      />
    </>
  );
}

/**
 * 税收分类编码 with a search of the common categories (by code prefix or by name): choosing one fills
 * the code, the 简称 and the usual rate, all still editable.
 */
function TaxCodeSearch(props: {
  orgId: string;
  /** Given by Form.Item: the label's target, and what `#taxCode` finds. */
  id?: string;
  value?: string;
  onChange?: (v: string) => void;
}) {
  const form = Form.useFormInstance();
  const [found, setFound] = useState<TaxCategory[]>([]);
  const { orgId } = props;
  const search = useCallback(
    (q: string) =>
      api
        .get<TaxCategory[]>(`/orgs/${orgId}/tax-codes${query({ q: q.trim() })}`)
        .then(setFound, () => setFound([])),
    [orgId],
  );
  return (
    <AutoComplete
      id={props.id}
      value={props.value}
      onChange={(v: string) => props.onChange?.(v)}
      onSearch={(q) => void search(q)}
      onFocus={() => void search(props.value && /^\d+$/.test(props.value) ? props.value.slice(0, 3) : "")}
      onSelect={(code: string) => {
        const t = found.find((x) => x.code === code);
        if (!t) return;
        form.setFieldsValue({ taxCode: t.code, shortName: t.shortName, taxRate: t.rate });
      }}
      options={found.map((t) => ({
        value: t.code,
        label: (
          <span data-testid={`tax-code-option-${t.code}`}>
            {t.code} · {t.shortName}（{t.name}） {t.rateLabel}
          </span>
        ),
      }))}
      popupMatchSelectWidth={520}
      placeholder="输入编码开头或名称搜索，如 307 或 餐饮"
      data-testid="tax-code-search"
    />
  );
}

function ItemFields({ orgId }: { orgId: string }) {
  const form = Form.useFormInstance();
  const zero = Form.useWatch("taxRate", form) === "0";
  return (
    <Row gutter={12}>
      <Col span={10}>
        <Form.Item label="编码" name="code" required>
          <Input maxLength={64} placeholder="如 MILK-1L" data-testid="item-code" />
        </Form.Item>
      </Col>
      <Col span={14}>
        <Form.Item label="项目名称" name="name" required>
          <Input data-testid="item-name" />
        </Form.Item>
      </Col>
      <Col span={10}>
        <Form.Item label="税收分类简称" name="shortName" required>
          <Input placeholder="如 餐饮服务" data-testid="item-short-name" />
        </Form.Item>
      </Col>
      <Col span={14}>
        <Form.Item
          label="税收分类编码（19 位）"
          name="taxCode"
          required
          extra="可按编码开头或名称搜索常用分类，选中后带出简称和税率"
        >
          <TaxCodeSearch orgId={orgId} />
        </Form.Item>
      </Col>
      <Col span={10}>
        <Form.Item label="税率" name="taxRate" required>
          <Select options={TAX_RATE_OPTIONS} data-testid="item-tax-rate" />
        </Form.Item>
      </Col>
      <Col span={14}>
        {zero && (
          <Form.Item label="零税率类型" name="zeroRateKind" required>
            <Select options={ZERO_RATE_OPTIONS} />
          </Form.Item>
        )}
      </Col>
      <Col span={10}>
        <Form.Item label="规格型号" name="spec">
          <Input />
        </Form.Item>
      </Col>
      <Col span={6}>
        <Form.Item label="单位" name="unit">
          <Input />
        </Form.Item>
      </Col>
      <Col span={8}>
        <Form.Item label="单价（含税，可选）" name="unitPrice">
          <Input />
        </Form.Item>
      </Col>
      <Col span={24}>
        <Form.Item label="启用" name="isActive" valuePropName="checked">
          <Switch />
        </Form.Item>
      </Col>
    </Row>
  );
}
