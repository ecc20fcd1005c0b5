import {
  App,
  Button,
  Card,
  Form,
  Input,
  Modal,
  Radio,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import { useCallback, useEffect, useState } from "react";
import { api, query } from "../api";
import type { CodeStatus, Device, Page, ReceiptCodeFilters, ReceiptCodeSummary } from "../api-types";
import { type DayRange, DayRangeFilter, dayRangeToQuery } from "../date-range";
import { formatTime, SOURCE_LABELS, STATUS } from "../labels";
import { navigate } from "../router";
import { useCan, useConsole } from "../session";

/** The filter form: the dates as one range, sent as `from` / `to` like the other filters. */
type FilterForm = Omit<ReceiptCodeFilters, "from" | "to"> & { dates?: DayRange };

const PAGE_SIZE = 10;

/** 动态小票码 (F17010): the list with search, filters and paging; 新增（复制）, 禁用, 打印. */
export default function ReceiptCodesPage() {
  const { orgId } = useConsole();
  const can = useCan();
  const { modal, message } = App.useApp();
  const [filterForm] = Form.useForm<FilterForm>();
  const [filters, setFilters] = useState<ReceiptCodeFilters>({});
  const [page, setPage] = useState(1);
  const [data, setData] = useState<Page<ReceiptCodeSummary>>({
    items: [],
    total: 0,
    page: 1,
    pageSize: PAGE_SIZE,
  });
  const [loading, setLoading] = useState(false);
  const [devices, setDevices] = useState<Device[]>([]);
  const [selected, setSelected] = useState<ReceiptCodeSummary | null>(null);
  const [printing, setPrinting] = useState<ReceiptCodeSummary | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const result = await api.get<Page<ReceiptCodeSummary>>(
        `/orgs/${orgId}/receipt-codes${query({ ...filters, page, pageSize: PAGE_SIZE })}`,
      );
      setData(result);
      setSelected((s) => result.items.find((i) => i.id === s?.id) ?? null);
    } finally {
      setLoading(false);
    }
  }, [orgId, filters, page]);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    void api.get<Device[]>(`/orgs/${orgId}/devices`).then(setDevices);
  }, [orgId]);

  const disable = (code: ReceiptCodeSummary) =>
    modal.confirm({
      title: `确认禁用小票码 ${code.serialNo}？`,
      content: "禁用后消费者将无法再用该小票码开票，且不能恢复。",
      okText: "确认禁用",
      okButtonProps: { danger: true },
      cancelText: "取消",
      onOk: async () => {
        try {
          await api.post(`/orgs/${orgId}/receipt-codes/${code.id}/disable`);
          message.success(`已禁用 ${code.serialNo}`);
          await load();
        } catch (e) {
          message.error(e instanceof Error ? e.message : String(e));
        }
      },
    });

  const operate = can("operate");
  const canDisable = (c: ReceiptCodeSummary) => ["active", "expired", "failed"].includes(c.status);
  return (
    <>
      <Card className="page-card" styles={{ body: { paddingBottom: 0 } }}>
        <Form<FilterForm>
          form={filterForm}
          layout="inline"
          onFinish={({ dates, ...v }) => {
            setPage(1);
            setFilters({
              ...(Object.fromEntries(Object.entries(v).filter(([, x]) => x)) as ReceiptCodeFilters),
              ...dayRangeToQuery(dates),
            });
          }}
          style={{ rowGap: 16, paddingBottom: 16 }}
        >
          <Form.Item label="小票流水号" name="serialNo">
            <Input allowClear placeholder="支持模糊查询" style={{ width: 180 }} data-testid="filter-serial" />
          </Form.Item>
          <Form.Item label="设备" name="deviceNo">
            <Select
              allowClear
              style={{ width: 150 }}
              options={devices.map((d) => ({ value: d.deviceNo, label: d.deviceNo }))}
            />
          </Form.Item>
          <Form.Item label="状态" name="status">
            <Select
              allowClear
              style={{ width: 120 }}
              options={Object.entries(STATUS).map(([value, s]) => ({ value, label: s.label }))}
            />
          </Form.Item>
          <Form.Item label="来源" name="source">
            <Select
              allowClear
              style={{ width: 120 }}
              options={Object.entries(SOURCE_LABELS).map(([value, label]) => ({ value, label }))}
            />
          </Form.Item>
          <Form.Item label="创建日期" name="dates">
            <DayRangeFilter data-testid="filter-created" />
          </Form.Item>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit">
                查询
              </Button>
              <Button
                onClick={() => {
                  filterForm.resetFields();
                  setPage(1);
                  setFilters({});
                }}
              >
                重置
              </Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      <Card className="page-card">
        <div className="toolbar">
          <Space>
            {operate && (
              <>
                <Button type="primary" onClick={() => navigate("/receipt-codes/new")}>
                  新增
                </Button>
                <Tooltip title={selected ? "" : "请先在列表中选择一个小票码"}>
                  <Button
                    disabled={!selected}
                    onClick={() => selected && navigate(`/receipt-codes/new?copy=${selected.id}`)}
                  >
                    新增（复制）
                  </Button>
                </Tooltip>
                <Button
                  danger
                  disabled={!selected || !canDisable(selected)}
                  onClick={() => selected && disable(selected)}
                >
                  禁用
                </Button>
                <Button
                  disabled={!selected || selected.status === "disabled"}
                  onClick={() => setPrinting(selected)}
                >
                  打印
                </Button>
              </>
            )}
          </Space>
          <Typography.Text type="secondary">共 {data.total} 条</Typography.Text>
        </div>
        <Table<ReceiptCodeSummary>
          rowKey="id"
          size="middle"
          loading={loading}
          dataSource={data.items}
          rowSelection={
            operate
              ? {
                  type: "radio",
                  selectedRowKeys: selected ? [selected.id] : [],
                  onChange: (_, rows) => setSelected(rows[0] ?? null),
                }
              : undefined
          }
          onRow={(r) => ({ onClick: () => operate && setSelected(r) })}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: data.total,
            onChange: setPage,
            showSizeChanger: false,
          }}
          columns={[
            {
              title: "小票流水号",
              dataIndex: "serialNo",
              render: (s: string) => (
                <span data-testid="row-serial" style={{ whiteSpace: "nowrap" }}>
                  {s}
                </span>
              ),
            },
            { title: "设备编号", dataIndex: "deviceNo", width: 96, render: (d: string | null) => d ?? "—" },
            {
              title: "状态",
              dataIndex: "status",
              width: 100,
              render: (s: CodeStatus) => <Tag color={STATUS[s].color}>{STATUS[s].label}</Tag>,
            },
            {
              title: "价税合计（元）",
              dataIndex: ["totals", "totalAmount"],
              align: "right",
              className: "money",
            },
            { title: "开票人", dataIndex: "drawer", width: 90 },
            { title: "来源", dataIndex: "source", width: 90, render: (s: string) => SOURCE_LABELS[s] ?? s },
            { title: "创建时间", dataIndex: "createdAt", width: 150, render: formatTime },
            { title: "有效期至", dataIndex: "expiresAt", width: 150, render: formatTime },
            ...(operate
              ? [
                  {
                    title: "操作",
                    width: 170,
                    render: (_: unknown, r: ReceiptCodeSummary) => (
                      <Space size={0} onClick={(e) => e.stopPropagation()}>
                        {r.status === "active" && r.source === "manual" && (
                          <Button
                            type="link"
                            size="small"
                            onClick={() => navigate(`/receipt-codes/${r.id}/edit`)}
                          >
                            编辑
                          </Button>
                        )}
                        <Button
                          type="link"
                          size="small"
                          onClick={() => navigate(`/receipt-codes/new?copy=${r.id}`)}
                        >
                          复制
                        </Button>
                        {r.status !== "disabled" && (
                          <Button type="link" size="small" onClick={() => setPrinting(r)}>
                            打印
                          </Button>
                        )}
                      </Space>
                    ),
                  },
                ]
              : []),
          ]}
        />
      </Card>
      <PrintModal orgId={orgId} code={printing} onClose={() => setPrinting(null)} />
    </>
  );
}

/** 打印: the receipt slip with the QR, for 58 mm and 80 mm thermal printers or A4. */
function PrintModal({
  orgId,
  code,
  onClose,
}: {
  orgId: string;
  code: ReceiptCodeSummary | null;
  onClose: () => void;
}) {
  const [format, setFormat] = useState("80mm");
  const href = code ? `/api/console/orgs/${orgId}/receipt-codes/${code.id}/slip.pdf?format=${format}` : "";
  return (
    <Modal
      title={`打印小票 ${code?.serialNo ?? ""}`}
      open={code !== null}
      onCancel={onClose}
      footer={[
        <Button key="cancel" onClick={onClose}>
          取消
        </Button>,
        <Button
          key="print"
          type="primary"
          href={href}
          target="_blank"
          data-testid="print-link"
          onClick={onClose}
        >
          生成打印文件
        </Button>,
      ]}
    >
      <Typography.Paragraph type="secondary">
        小票包含销售方、流水号、时间、商品明细、合计、二维码、“扫码开具电子发票”、有效期和底部备注。
      </Typography.Paragraph>
      <Radio.Group
        value={format}
        onChange={(e) => setFormat(e.target.value)}
        optionType="button"
        buttonStyle="solid"
        options={[
          { value: "58mm", label: "58 mm 热敏纸" },
          { value: "80mm", label: "80 mm 热敏纸" },
          { value: "A4", label: "A4 纸" },
        ]}
      />
    </Modal>
  );
}
