import { App, Button, Form, Input, Select, Space, Tag, Tooltip, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api, query } from "../api";
import type {
  BulkOutcome,
  CodeStatus,
  Device,
  Page,
  ReceiptCodeFilters,
  ReceiptCodeSummary,
} from "../api-types";
import { type DayRange, DayRangeFilter, filterQuery } from "../date-range";
import { formatTime, SOURCE_LABELS, STATUS } from "../labels";
import { ListPage } from "../list-page";
import { yuan } from "../money";
import { navigate } from "../router";
import { useCan, useConsole } from "../session";
import { bulkOutcomeMessage, openBlob } from "./bulk";
import { CodeDrawer } from "./receipt-codes/code-drawer";
import { PrintModal } from "./receipt-codes/print-modal";

/** The filter form: the dates as one range, sent as `from` / `to` like the other filters. */
type FilterForm = Omit<ReceiptCodeFilters, "from" | "to"> & { dates?: DayRange };

const PAGE_SIZE = 10;
const canDisable = (c: ReceiptCodeSummary) => ["active", "expired", "failed"].includes(c.status);

/**
 * 动态小票码 (F17010): the list with search, filters and paging; 新增（复制）, 禁用, 打印, 详情; ticked
 * codes (across pages) are disabled or printed onto A4 sheets together.
 */
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
  // Ticked codes by id, with the rows seen (a code ticked on another page keeps its row here).
  const [ticked, setTicked] = useState<string[]>([]);
  const [seen, setSeen] = useState<Map<string, ReceiptCodeSummary>>(new Map());
  const [printing, setPrinting] = useState<ReceiptCodeSummary | null>(null);
  const [viewing, setViewing] = useState<ReceiptCodeSummary | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const result = await api.get<Page<ReceiptCodeSummary>>(
        `/orgs/${orgId}/receipt-codes${query({ ...filters, page, pageSize: PAGE_SIZE })}`,
      );
      setData(result);
      setSeen((was) => new Map([...was, ...result.items.map((i) => [i.id, i] as const)]));
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
  // Another organization: nothing of the last one stays ticked.
  const [tickedIn, setTickedIn] = useState(orgId);
  if (tickedIn !== orgId) {
    setTickedIn(orgId);
    setTicked([]);
    setSeen(new Map());
  }

  const selected = ticked.map((id) => seen.get(id)).filter((c): c is ReceiptCodeSummary => Boolean(c));
  const one = selected.length === 1 ? selected[0]! : null;
  const disableable = selected.filter(canDisable);
  const printable = selected.filter((c) => c.status !== "disabled");

  const disable = () => {
    const count = disableable.length;
    modal.confirm({
      title: one ? `确认禁用小票码 ${one.serialNo}？` : `确认禁用所选的 ${count} 个小票码？`,
      content: (
        <>
          禁用后消费者将无法再用{one ? "该" : "这些"}小票码开票，且不能恢复。
          {count < selected.length && `已开票、正在开票或已禁用的 ${selected.length - count} 个不会变化。`}
        </>
      ),
      okText: "确认禁用",
      okButtonProps: { danger: true },
      cancelText: "取消",
      onOk: async () => {
        try {
          const outcome = await api.post<BulkOutcome>(`/orgs/${orgId}/receipt-codes/bulk/disable`, {
            ids: disableable.map((c) => c.id),
          });
          bulkOutcomeMessage(message, outcome, "已禁用");
          setTicked([]);
          await load();
        } catch (e) {
          message.error(e instanceof Error ? e.message : String(e));
        }
      },
    });
  };

  const printSheets = () =>
    modal.confirm({
      title: `批量打印 ${printable.length} 张小票？`,
      content: (
        <>
          所选小票码的小票将排在 A4 纸上（每页约 4 张，沿虚线裁开），生成后在新窗口打开。
          {printable.length < selected.length && `已禁用的 ${selected.length - printable.length} 个不打印。`}
        </>
      ),
      okText: "生成打印文件",
      cancelText: "取消",
      onOk: async () => {
        try {
          const pdf = await api.postForBlob(`/orgs/${orgId}/receipt-codes/bulk/slips.pdf`, {
            ids: printable.map((c) => c.id),
          });
          openBlob(pdf, `小票-${printable.length}张-A4.pdf`);
        } catch (e) {
          message.error(e instanceof Error ? e.message : String(e));
        }
      },
    });

  const operate = can("operate");
  return (
    <>
      <ListPage<ReceiptCodeSummary, FilterForm>
        filterForm={filterForm}
        onSearch={(v) => {
          setPage(1);
          setFilters(filterQuery<ReceiptCodeFilters>(v));
        }}
        onReset={() => {
          setPage(1);
          setFilters({});
        }}
        filters={
          <>
            <Form.Item label="小票流水号" name="serialNo">
              <Input
                allowClear
                placeholder="支持模糊查询"
                style={{ width: 180 }}
                data-testid="filter-serial"
              />
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
          </>
        }
        actions={
          operate && (
            <>
              <Button type="primary" onClick={() => navigate("/receipt-codes/new")}>
                新增
              </Button>
              <Tooltip title={one ? "" : "请在列表中勾选一个小票码"}>
                <Button disabled={!one} onClick={() => one && navigate(`/receipt-codes/new?copy=${one.id}`)}>
                  新增（复制）
                </Button>
              </Tooltip>
              <Button danger disabled={disableable.length === 0} onClick={disable} data-testid="bulk-disable">
                禁用
              </Button>
              <Button
                disabled={printable.length === 0}
                onClick={() => (one ? setPrinting(one) : printSheets())}
                data-testid="bulk-print"
              >
                打印
              </Button>
            </>
          )
        }
        total={data.total}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        selection={operate ? { keys: ticked, onChange: setTicked } : undefined}
        table={{
          loading,
          dataSource: data.items,
          // A click on the row ticks or unticks it (the checkbox itself does so on its own).
          onRow: (r) => ({
            onClick: (e) => {
              if (!operate || (e.target as HTMLElement).closest(".ant-table-selection-column")) return;
              setTicked((t) => (t.includes(r.id) ? t.filter((id) => id !== r.id) : [...t, r.id]));
            },
          }),
          columns: [
            {
              title: "小票流水号",
              dataIndex: "serialNo",
              width: 210,
              render: (s: string, r: ReceiptCodeSummary) => (
                <Space size={4} style={{ whiteSpace: "nowrap", maxWidth: "100%" }}>
                  <Typography.Text
                    data-testid="row-serial"
                    ellipsis={{ tooltip: { title: s, placement: "topLeft" } }}
                    style={{ maxWidth: 130 }}
                  >
                    {s}
                  </Typography.Text>
                  <Button
                    type="link"
                    size="small"
                    data-testid="row-detail"
                    onClick={(e) => {
                      e.stopPropagation();
                      setViewing(r);
                    }}
                  >
                    详情
                  </Button>
                </Space>
              ),
            },
            {
              title: "开票码",
              dataIndex: "shortCode",
              width: 96,
              render: (c: string) => (
                <span data-testid="row-short-code" style={{ whiteSpace: "nowrap", fontFamily: "monospace" }}>
                  {c}
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
              width: 120,
              className: "money",
              render: (a: string) => yuan(a).replace("¥", ""),
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
          ],
        }}
      />
      <PrintModal orgId={orgId} code={printing} onClose={() => setPrinting(null)} />
      <CodeDrawer orgId={orgId} code={viewing} onClose={() => setViewing(null)} />
    </>
  );
}
