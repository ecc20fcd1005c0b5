import { App, Button, Col, Form, Input, Row, Select, Space, Switch, Table, Tag, Upload } from "antd";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, query } from "../../api";
import type { Item, ItemImportResult, Page } from "../../api-types";
import { TAX_RATE_OPTIONS, ZERO_RATE_OPTIONS } from "../../labels";
import { useCan, useConsole } from "../../session";
import { EditModal } from "./edit-modal";

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

/** "rows[3].taxCode" → "第 5 行（税收分类编码）": row 0 is the line under the header, line 2 of the file. */
function describeImportError(path: string, text: string): string {
  const m = path.match(/^rows\[(\d+)\]\.?(.*)$/);
  return m ? `第 ${Number(m[1]) + 2} 行：${text}` : text;
}

const TEMPLATE = [
  "编码,项目名称,税收分类简称,税收分类编码,税率,零税率类型,规格型号,单位,单价",
  "MILK-1L,纯牛奶,乳制品,1030201000000000000,13%,,1L,盒,12.50",
  "LUNCH,午餐,餐饮服务,3070401000000000000,6%,,,份,",
  "BOOK,图书,图书,1060101000000000000,0%,免税,,本,",
].join("\r\n");

/** The import template as a UTF-8 CSV (with BOM, so Excel opens it with the right encoding). */
function downloadTemplate() {
  const url = URL.createObjectURL(new Blob([`\uFEFF${TEMPLATE}`], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = "开票项导入模板.csv";
  a.click();
  URL.revokeObjectURL(url);
}

/** 开票项: the goods master, searchable, importable from CSV or Excel. */
export function ItemsTab() {
  const { orgId } = useConsole();
  const can = useCan();
  const { message, modal } = App.useApp();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [data, setData] = useState<Page<Item>>({ items: [], total: 0, page: 1, pageSize: 10 });
  const [editing, setEditing] = useState<Partial<Item> | null>(null);
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

  const upload = async (file: File) => {
    setImporting(true);
    const body = new FormData();
    body.append("file", file);
    try {
      const r = await api.post<ItemImportResult>(`/orgs/${orgId}/items/import`, body);
      message.success(`导入完成：新增 ${r.created} 个，更新 ${r.updated} 个`);
      await load();
    } catch (e) {
      const lines =
        e instanceof ApiError && Object.keys(e.fields).length > 0
          ? Object.entries(e.fields).map(([p, t]) => describeImportError(p, t))
          : [e instanceof Error ? e.message : String(e)];
      modal.error({
        title: "导入失败，未保存任何数据",
        width: 560,
        content: (
          <ul style={{ paddingLeft: 18, maxHeight: 320, overflow: "auto" }}>
            {lines.slice(0, 50).map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        ),
      });
    } finally {
      setImporting(false);
    }
  };

  const admin = can("administer");
  return (
    <>
      <div className="toolbar">
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
          <Space>
            <Button type="link" onClick={downloadTemplate}>
              下载导入模板
            </Button>
            <Upload
              accept=".csv,.xlsx"
              showUploadList={false}
              beforeUpload={(file) => {
                void upload(file);
                return false;
              }}
            >
              <Button loading={importing}>导入（CSV / Excel）</Button>
            </Upload>
            <Button type="primary" onClick={() => setEditing({ taxRate: "0.13", isActive: true })}>
              新增开票项
            </Button>
          </Space>
        )}
      </div>
      <Table<Item>
        rowKey="id"
        size="middle"
        dataSource={data.items}
        pagination={{
          current: page,
          pageSize: 10,
          total: data.total,
          onChange: setPage,
          showTotal: (t) => `共 ${t} 项`,
        }}
        columns={[
          { title: "编码", dataIndex: "code", width: 120 },
          { title: "项目名称", dataIndex: "name" },
          { title: "税收分类简称", dataIndex: "shortName" },
          { title: "税收分类编码", dataIndex: "taxCode", width: 190 },
          { title: "税率", dataIndex: "taxRateLabel", width: 80 },
          { title: "规格型号", dataIndex: "spec" },
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
        ]}
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
        {() => <ItemFields />}
      </EditModal>
    </>
  );
}

function ItemFields() {
  const form = Form.useFormInstance();
  const zero = Form.useWatch("taxRate", form) === "0";
  return (
    <Row gutter={12}>
      <Col span={10}>
        <Form.Item label="编码" name="code" required>
          <Input maxLength={64} placeholder="如 MILK-1L" />
        </Form.Item>
      </Col>
      <Col span={14}>
        <Form.Item label="项目名称" name="name" required>
          <Input />
        </Form.Item>
      </Col>
      <Col span={10}>
        <Form.Item label="税收分类简称" name="shortName" required>
          <Input placeholder="如 餐饮服务" />
        </Form.Item>
      </Col>
      <Col span={14}>
        <Form.Item label="税收分类编码（19 位）" name="taxCode" required>
          <Input maxLength={19} placeholder="如 3070401000000000000" />
        </Form.Item>
      </Col>
      <Col span={10}>
        <Form.Item label="税率" name="taxRate" required>
          <Select options={TAX_RATE_OPTIONS} />
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
