import { Button, Card, Checkbox, Form, Input, Segmented, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { api, query } from "../api";
import type { Device, InvoiceFilters, InvoiceSummary, Page } from "../api-types";
import { type DayRange, DayRangeFilter, dayRangeToQuery } from "../date-range";
import { formatTime, INVOICE_TYPE_LABELS, INVOICE_TYPE_OPTIONS, SOURCE_LABELS } from "../labels";
import { useConsole } from "../session";
import { InvoiceDetailDrawer } from "./invoices/invoice-detail-drawer";
import { INVOICE_STATUS, RED_CONFIRMATION, yuan } from "./invoices/invoice-labels";

/** The filter form: the dates as one range, sent as `from` / `to` like the other filters. */
type FilterForm = Omit<InvoiceFilters, "from" | "to"> & { dates?: DayRange };

const PAGE_SIZE = 10;
/** The list is narrow: 数电专票 / 数电普票, the full name on hover. */
const SHORT_TYPE: Record<string, string> = { digital_normal: "数电普票", digital_special: "数电专票" };

/**
 * 发票管理: every invoice of the organization, filtered and paged; detail, actions and export. A user
 * of several organizations may also look at all of them at once (「全部组织」, like 统计分析), with a
 * 组织 column; the server answers only with organizations the user belongs to.
 */
export default function InvoicesPage() {
  const { orgId, session } = useConsole();
  const [scope, setScope] = useState<"org" | "all">("org");
  const allOrgs = scope === "all" && session.organizations.length > 1;
  const orgNames = useMemo(
    () => new Map(session.organizations.map((o) => [o.id, o.name])),
    [session.organizations],
  );
  // The list and its export: the chosen organization's, or those of every one the user sees.
  const listPath = allOrgs ? "/invoices" : `/orgs/${orgId}/invoices`;
  const [form] = Form.useForm<FilterForm>();
  const [filters, setFilters] = useState<InvoiceFilters>({});
  const [page, setPage] = useState(1);
  const [data, setData] = useState<Page<InvoiceSummary>>({
    items: [],
    total: 0,
    page: 1,
    pageSize: PAGE_SIZE,
  });
  const [loading, setLoading] = useState(false);
  const [devices, setDevices] = useState<Device[]>([]);
  const [opened, setOpened] = useState<{ id: string; orgId: string } | null>(null);
  const [withLines, setWithLines] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setData(
        await api.get<Page<InvoiceSummary>>(`${listPath}${query({ ...filters, page, pageSize: PAGE_SIZE })}`),
      );
    } finally {
      setLoading(false);
    }
  }, [listPath, filters, page]);
  useEffect(() => {
    void load();
  }, [load]);
  // The device filter offers the devices of every organization in view (a device number matches
  // wherever it is used).
  useEffect(() => {
    const ids = allOrgs ? session.organizations.map((o) => o.id) : [orgId];
    void Promise.all(ids.map((id) => api.get<Device[]>(`/orgs/${id}/devices`))).then((lists) =>
      setDevices([...new Map(lists.flat().map((d) => [d.deviceNo, d])).values()]),
    );
  }, [allOrgs, orgId, session.organizations]);

  // A plain link: the browser downloads the streamed file itself, with the session cookie.
  const exportUrl = (format: "xlsx" | "csv") =>
    `/api/console${listPath}/export.${format}${query({ ...filters, lines: withLines ? "1" : undefined })}`;

  return (
    <>
      <Card className="page-card" styles={{ body: { paddingBottom: 0 } }}>
        <Form<FilterForm>
          form={form}
          layout="inline"
          style={{ rowGap: 16, paddingBottom: 16 }}
          onFinish={({ dates, ...v }) => {
            setPage(1);
            setFilters({
              ...(Object.fromEntries(Object.entries(v).filter(([, x]) => x)) as InvoiceFilters),
              ...dayRangeToQuery(dates),
            });
          }}
        >
          <Form.Item label="发票号码" name="number">
            <Input allowClear placeholder="支持部分号码" style={{ width: 200 }} data-testid="filter-number" />
          </Form.Item>
          <Form.Item label="购买方" name="buyer">
            <Input allowClear placeholder="名称或纳税人识别号" style={{ width: 200 }} />
          </Form.Item>
          <Form.Item label="小票流水号" name="serialNo">
            <Input allowClear placeholder="或订单号" style={{ width: 160 }} />
          </Form.Item>
          <Form.Item label="状态" name="status">
            <Select
              allowClear
              style={{ width: 120 }}
              options={Object.entries(INVOICE_STATUS).map(([value, s]) => ({ value, label: s.label }))}
            />
          </Form.Item>
          <Form.Item label="发票类型" name="invoiceType">
            <Select allowClear style={{ width: 220 }} options={INVOICE_TYPE_OPTIONS} />
          </Form.Item>
          <Form.Item label="设备" name="deviceNo">
            <Select
              allowClear
              style={{ width: 140 }}
              options={devices.map((d) => ({ value: d.deviceNo, label: d.deviceNo }))}
            />
          </Form.Item>
          <Form.Item label="来源" name="source">
            <Select
              allowClear
              style={{ width: 120 }}
              options={Object.entries(SOURCE_LABELS).map(([value, label]) => ({ value, label }))}
            />
          </Form.Item>
          <Form.Item label="开票日期" name="dates">
            <DayRangeFilter data-testid="filter-issued" />
          </Form.Item>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" data-testid="invoice-search">
                查询
              </Button>
              <Button
                onClick={() => {
                  form.resetFields();
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
            {session.organizations.length > 1 && (
              <Segmented
                value={allOrgs ? "all" : "org"}
                onChange={(v) => {
                  setPage(1);
                  setScope(v as "org" | "all");
                }}
                options={[
                  { value: "org", label: "当前组织" },
                  { value: "all", label: `全部组织（${session.organizations.length}）` },
                ]}
                data-testid="invoice-scope"
              />
            )}
            <Button href={exportUrl("xlsx")} data-testid="export-xlsx">
              导出 Excel
            </Button>
            <Button href={exportUrl("csv")} data-testid="export-csv">
              导出 CSV
            </Button>
            <Checkbox checked={withLines} onChange={(e) => setWithLines(e.target.checked)}>
              含商品明细
            </Checkbox>
          </Space>
          <Typography.Text type="secondary">共 {data.total} 张</Typography.Text>
        </div>
        <Table<InvoiceSummary>
          rowKey="id"
          size="middle"
          loading={loading}
          dataSource={data.items}
          onRow={(r) => ({
            onClick: () => setOpened({ id: r.id, orgId: r.orgId }),
            style: { cursor: "pointer" },
          })}
          // 「全部组织」 adds a column: the table scrolls sideways rather than squeezing every column.
          scroll={allOrgs ? { x: 1450 } : undefined}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: data.total,
            showSizeChanger: false,
            onChange: setPage,
          }}
          columns={[
            ...(allOrgs
              ? [
                  {
                    title: "组织",
                    dataIndex: "orgId",
                    width: 190,
                    ellipsis: true,
                    render: (id: string) => (
                      <span data-testid="invoice-org" title={orgNames.get(id)}>
                        {orgNames.get(id) ?? id}
                      </span>
                    ),
                  },
                ]
              : []),
            {
              title: "发票号码",
              dataIndex: "number",
              width: 230,
              render: (n: string | null, r) => (
                <Space size={4} style={{ whiteSpace: "nowrap" }}>
                  {r.color === "red" && <Tag color="red">红字</Tag>}
                  <Typography.Link data-testid={`invoice-${n ?? r.id}`}>{n ?? "（未开具）"}</Typography.Link>
                </Space>
              ),
            },
            {
              title: "状态",
              dataIndex: "status",
              width: 100,
              render: (s: InvoiceSummary["status"], r) => (
                <>
                  <Tag color={INVOICE_STATUS[s].color} title={r.failureReason ?? undefined}>
                    {INVOICE_STATUS[s].label}
                  </Tag>
                  {r.redConfirmation && (
                    <Tag
                      color={RED_CONFIRMATION[r.redConfirmation.status].color}
                      title={`红字确认单 ${r.redConfirmation.number ?? ""}`}
                      data-testid="red-confirmation-tag"
                    >
                      确认单{RED_CONFIRMATION[r.redConfirmation.status].label}
                    </Tag>
                  )}
                </>
              ),
            },
            {
              title: "发票类型",
              dataIndex: "invoiceType",
              width: 100,
              render: (t: string) => <span title={INVOICE_TYPE_LABELS[t]}>{SHORT_TYPE[t] ?? t}</span>,
            },
            { title: "购买方", dataIndex: "buyerName", ellipsis: true },
            {
              title: "价税合计",
              align: "right",
              width: 120,
              render: (_, r) => (
                <span style={{ color: r.color === "red" ? "#cf1322" : undefined, whiteSpace: "nowrap" }}>
                  {yuan(r.totals.totalAmount)}
                </span>
              ),
            },
            { title: "小票流水号", dataIndex: "serialNo", ellipsis: true },
            { title: "设备", dataIndex: "deviceNo", width: 100, render: (d: string | null) => d ?? "—" },
            { title: "来源", dataIndex: "source", width: 90, render: (s: string) => SOURCE_LABELS[s] ?? s },
            {
              title: "开票时间",
              dataIndex: "issuedAt",
              width: 150,
              render: (t: string | null) => formatTime(t),
            },
          ]}
        />
      </Card>
      <InvoiceDetailDrawer
        orgId={opened?.orgId ?? orgId}
        orgName={orgNames.get(opened?.orgId ?? orgId)}
        invoiceId={opened?.id ?? null}
        onClose={() => setOpened(null)}
        onOpen={(id) => setOpened((o) => o && { ...o, id })}
        onChanged={load}
      />
    </>
  );
}
