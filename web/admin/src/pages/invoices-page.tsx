import { App, Button, Checkbox, Form, Input, Segmented, Select, Space, Tag, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { api, query } from "../api";
import type { BulkOutcome, Device, InvoiceFilters, InvoiceSummary, InvoiceTotals, Page } from "../api-types";
import { type DayRange, DayRangeFilter, filterQuery } from "../date-range";
import { formatTime, INVOICE_TYPE_LABELS, INVOICE_TYPE_OPTIONS, SOURCE_LABELS } from "../labels";
import { ListPage } from "../list-page";
import { useCan, useConsole } from "../session";
import { bulkOutcomeMessage, openBlob } from "./bulk";
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
 * 组织 column; the server answers only with organizations the user belongs to. Ticked invoices of
 * the organization (across pages) are exported, resent or downloaded as PDFs in a zip together; the
 * 合计 row adds up the whole filtered list, as the server counts it.
 */
export default function InvoicesPage() {
  const { orgId, session } = useConsole();
  const can = useCan();
  const { modal, message } = App.useApp();
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
  const [ticked, setTicked] = useState<string[]>([]);
  const [totals, setTotals] = useState<InvoiceTotals | null>(null);

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
  // 合计 of the whole filter (every page), again after an action changed the list.
  const loadTotals = useCallback(async () => {
    setTotals(await api.get<InvoiceTotals>(`${listPath}/summary${query({ ...filters })}`));
  }, [listPath, filters]);
  useEffect(() => {
    void loadTotals();
  }, [loadTotals]);
  // The bulk actions are the organization's: another organization or 「全部组织」 starts afresh.
  const scopeKey = `${orgId}:${allOrgs}`;
  const [tickedIn, setTickedIn] = useState(scopeKey);
  if (tickedIn !== scopeKey) {
    setTickedIn(scopeKey);
    setTicked([]);
  }
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

  const bulk = `/orgs/${orgId}/invoices/bulk`;
  const failed = (e: unknown) => message.error(e instanceof Error ? e.message : String(e));
  const exportSelected = () =>
    modal.confirm({
      title: `导出所选的 ${ticked.length} 张发票？`,
      content: `导出为 Excel${withLines ? "，含商品明细" : ""}。`,
      okText: "导出",
      cancelText: "取消",
      onOk: async () => {
        try {
          const file = await api.postForBlob(`${bulk}/export`, {
            ids: ticked,
            format: "xlsx",
            lines: withLines,
          });
          openBlob(file, `发票-所选${ticked.length}张.xlsx`);
        } catch (e) {
          failed(e);
        }
      },
    });
  const resendSelected = () =>
    modal.confirm({
      title: `重新发送所选的 ${ticked.length} 张发票？`,
      content: "每张已开具的发票将再次发送到购买方留下的邮箱或手机号；尚未开具或没有联系方式的不发送。",
      okText: "重新发送",
      cancelText: "取消",
      onOk: async () => {
        try {
          const outcome = await api.post<BulkOutcome>(`${bulk}/resend`, { ids: ticked });
          bulkOutcomeMessage(message, outcome, "已重新发送");
        } catch (e) {
          failed(e);
        }
      },
    });
  const downloadPdfs = () =>
    modal.confirm({
      title: `下载所选 ${ticked.length} 张发票的 PDF？`,
      content: "打包为一个 zip 文件；尚未开具的发票没有 PDF，会列在压缩包内的说明里。",
      okText: "下载",
      cancelText: "取消",
      onOk: async () => {
        try {
          const zip = await api.postForBlob(`${bulk}/pdf.zip`, { ids: ticked });
          openBlob(zip, `发票PDF-${ticked.length}张.zip`);
        } catch (e) {
          failed(e);
        }
      },
    });

  return (
    <>
      <ListPage<InvoiceSummary, FilterForm>
        filterForm={form}
        onSearch={(v) => {
          setPage(1);
          setFilters(filterQuery<InvoiceFilters>(v));
        }}
        onReset={() => {
          setPage(1);
          setFilters({});
        }}
        filters={
          <>
            <Form.Item label="发票号码" name="number">
              <Input
                allowClear
                placeholder="支持部分号码"
                style={{ width: 200 }}
                data-testid="filter-number"
              />
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
          </>
        }
        searchTestId="invoice-search"
        actions={
          <>
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
          </>
        }
        selection={
          allOrgs
            ? undefined
            : {
                keys: ticked,
                onChange: setTicked,
                actions: (
                  <>
                    <Button onClick={exportSelected} data-testid="bulk-export">
                      导出所选
                    </Button>
                    {can("operate") && (
                      <Button onClick={resendSelected} data-testid="bulk-resend">
                        批量重新发送
                      </Button>
                    )}
                    <Button onClick={downloadPdfs} data-testid="bulk-pdf">
                      批量下载 PDF
                    </Button>
                  </>
                ),
              }
        }
        summary={
          totals
            ? {
                label: (
                  <Space size={16} style={{ width: "100%", justifyContent: "flex-end" }}>
                    <Typography.Text strong data-testid="summary-count">
                      合计 {totals.count} 张
                    </Typography.Text>
                    <Typography.Text type="secondary" data-testid="summary-amounts">
                      金额 {yuan(totals.amountExcludingTax)} · 税额 {yuan(totals.taxAmount)}
                    </Typography.Text>
                  </Space>
                ),
                cells: {
                  total: (
                    <Typography.Text strong style={{ whiteSpace: "nowrap" }} data-testid="summary-total">
                      {yuan(totals.totalAmount)}
                    </Typography.Text>
                  ),
                },
              }
            : undefined
        }
        unit="张"
        total={data.total}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        table={{
          loading,
          dataSource: data.items,
          onRow: (r) => ({
            onClick: (e) => {
              if ((e.target as HTMLElement).closest(".ant-table-selection-column")) return;
              setOpened({ id: r.id, orgId: r.orgId });
            },
            style: { cursor: "pointer" },
          }),
          // 「全部组织」 adds a column: the table scrolls sideways rather than squeezing every column.
          scroll: allOrgs ? { x: 1450 } : undefined,
          columns: [
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
              width: 200,
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
              width: 84,
              render: (t: string) => <span title={INVOICE_TYPE_LABELS[t]}>{SHORT_TYPE[t] ?? t}</span>,
            },
            // 购买方 takes what the fixed columns leave (about 230 px at 1280 wide), cut with a tooltip.
            { title: "购买方", dataIndex: "buyerName", ellipsis: true },
            {
              title: "价税合计",
              key: "total",
              align: "right",
              width: 116,
              render: (_, r) => (
                <span style={{ color: r.color === "red" ? "#cf1322" : undefined, whiteSpace: "nowrap" }}>
                  {yuan(r.totals.totalAmount)}
                </span>
              ),
            },
            { title: "小票流水号", dataIndex: "serialNo", width: 130, ellipsis: true },
            // 设备 and 来源 (also filters, and in the invoice's 详情) show on wide screens only, so
            // that 购买方 keeps a readable width at 1280.
            {
              title: "设备",
              dataIndex: "deviceNo",
              width: 90,
              responsive: ["xxl"],
              render: (d: string | null) => d ?? "—",
            },
            {
              title: "来源",
              dataIndex: "source",
              width: 80,
              responsive: ["xxl"],
              render: (s: string) => SOURCE_LABELS[s] ?? s,
            },
            {
              title: "开票时间",
              dataIndex: "issuedAt",
              width: 136,
              render: (t: string | null) => formatTime(t),
            },
          ],
        }}
      />
      <InvoiceDetailDrawer
        orgId={opened?.orgId ?? orgId}
        orgName={orgNames.get(opened?.orgId ?? orgId)}
        invoiceId={opened?.id ?? null}
        onClose={() => setOpened(null)}
        onOpen={(id) => setOpened((o) => o && { ...o, id })}
        onChanged={() => {
          void load();
          void loadTotals();
        }}
      />
    </>
  );
}
