import { Button, Card, Col, DatePicker, Row, Segmented, Space, Statistic, Table, Typography } from "antd";
import type { EChartsOption } from "echarts";
import { useCallback, useEffect, useMemo, useState } from "react";
import { api, query } from "../api";
import type { Stats, StatsSlice } from "../api-types";
import { DAY_FORMAT, dayRangeOf, dayRangeToQuery } from "../date-range";
import { INVOICE_TYPE_LABELS, SOURCE_LABELS } from "../labels";
import { useConsole } from "../session";
import { EChart } from "./invoices/echart";
import { BUYER_TYPE_LABELS, yuan } from "./invoices/invoice-labels";

const DAY = 86_400_000;

type StatsDay = Stats["daily"][number];
/** Every day of from..to (China dates), the server's days in place and the others as zero. */
export function everyDay(from: string, to: string, days: StatsDay[]): StatsDay[] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const out: StatsDay[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push(
      byDay.get(day) ?? {
        day,
        invoices: 0,
        amount: "0.00",
        redInvoices: 0,
        redAmount: "0.00",
        netAmount: "0.00",
      },
    );
  }
  return out;
}
/** Today and n − 1 days before it, as China dates (the server counts China days too). */
function lastDays(n: number): { from: string; to: string } {
  const china = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 10);
  return { from: china(Date.now() - (n - 1) * DAY), to: china(Date.now()) };
}

function duration(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 90) return `${Math.round(seconds)} 秒`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} 分钟`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} 小时`;
  return `${(seconds / 86_400).toFixed(1)} 天`;
}

/** Short names for the legend; the full ones do not fit beside each other. */
const SHORT_TYPE: Record<string, string> = { digital_normal: "数电普票", digital_special: "数电专票" };

// No red in the charts: in the console red means an error.
const PALETTE = ["#2f6fb5", "#e6a23c", "#3ba272", "#8e44ad", "#16a085", "#7f8c8d", "#b8860b"];

function pie(slices: StatsSlice[], label: (k: string) => string): EChartsOption {
  return {
    color: PALETTE,
    tooltip: { trigger: "item", formatter: "{b}：{c} 张（{d}%）" },
    legend: { bottom: 0, type: "scroll" },
    series: [
      {
        type: "pie",
        radius: ["40%", "68%"],
        center: ["50%", "45%"],
        // Inside the ring: outside labels get cut off in a third of a 1280-wide screen.
        label: {
          position: "inside",
          color: "#fff",
          formatter: (p: { percent?: number }) => `${Math.round(p.percent ?? 0)}%`,
        },
        data: slices.map((s) => ({ name: label(s.key), value: s.invoices })),
      },
    ],
  };
}

/** 统计分析: what management looks at, for the current organization or every one the user sees. */
export default function StatsPage() {
  const { orgId, session } = useConsole();
  const [scope, setScope] = useState<"org" | "all">("org");
  const [range, setRange] = useState(() => lastDays(30));
  const [stats, setStats] = useState<Stats | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setStats(
        await api.get<Stats>(`/stats${query({ ...range, orgId: scope === "org" ? orgId : undefined })}`),
      );
    } finally {
      setLoading(false);
    }
  }, [range, scope, orgId]);
  useEffect(() => {
    void load();
  }, [load]);

  const days = useMemo(() => (stats ? everyDay(stats.from, stats.to, stats.daily) : []), [stats]);
  const daily = useMemo<EChartsOption>(() => {
    return {
      color: ["#2f6fb5", "#e6a23c", "#3ba272"],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 70, top: 36, bottom: 30 },
      xAxis: { type: "category", data: days.map((d) => d.day.slice(5)) },
      yAxis: [
        { type: "value", name: "张数", minInterval: 1 },
        { type: "value", name: "价税合计（元）", splitLine: { show: false } },
      ],
      series: [
        { name: "开票张数", type: "bar", data: days.map((d) => d.invoices), barMaxWidth: 18 },
        { name: "红冲张数", type: "bar", data: days.map((d) => d.redInvoices), barMaxWidth: 18 },
        {
          // Net of red invoices: a day whose invoices were all reversed shows zero.
          name: "价税合计（净额）",
          type: "line",
          yAxisIndex: 1,
          data: days.map((d) => Number(d.netAmount)),
          // Money in the tooltip as everywhere else: two decimals, grouped (money.ts).
          tooltip: { valueFormatter: (v) => yuan(typeof v === "number" ? v.toFixed(2) : null) },
        },
      ],
    };
  }, [days]);

  const funnel = useMemo<EChartsOption>(() => {
    const f = stats?.funnel;
    const steps = f
      ? [
          { name: "生成小票码", value: f.codes },
          { name: "已扫码", value: f.scanned },
          { name: "已提交", value: f.submitted },
          { name: "已开票", value: f.invoiced },
        ]
      : [];
    return {
      color: ["#7f8c8d", "#2f6fb5", "#e6a23c", "#3ba272"],
      tooltip: { trigger: "item", formatter: "{b}：{c}" },
      series: [
        {
          type: "funnel",
          left: "10%",
          width: "80%",
          sort: "none",
          minSize: "20%",
          label: { position: "inside", formatter: "{b} {c}" },
          data: steps,
        },
      ],
    };
  }, [stats]);

  const devices = useMemo<EChartsOption>(() => {
    const slices = stats?.byDevice ?? [];
    return {
      color: ["#2f6fb5"],
      tooltip: { trigger: "axis" },
      grid: { left: 90, right: 30, top: 10, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: slices.map((s) => s.key || "未指定设备") },
      series: [{ type: "bar", name: "开票张数", data: slices.map((s) => s.invoices), barMaxWidth: 18 }],
    };
  }, [stats]);

  const s = stats;
  const conversion = s && s.funnel.scanned > 0 ? (s.funnel.invoiced / s.funnel.scanned) * 100 : null;
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Card size="small">
        <Space wrap size="middle">
          {session.organizations.length > 1 && (
            <Segmented
              value={scope}
              onChange={(v) => setScope(v as "org" | "all")}
              options={[
                { value: "org", label: "当前组织" },
                { value: "all", label: `全部组织（${session.organizations.length}）` },
              ]}
            />
          )}
          <DatePicker.RangePicker
            value={dayRangeOf(range.from, range.to)}
            format={DAY_FORMAT}
            allowClear={false}
            onChange={(v) => {
              const picked = dayRangeToQuery(v);
              if (picked.from && picked.to) setRange({ from: picked.from, to: picked.to });
            }}
            style={{ width: 260 }}
            data-testid="stats-range"
          />
          <Space>
            {[7, 30, 90, 365].map((n) => (
              <Button key={n} size="small" onClick={() => setRange(lastDays(n))}>
                近 {n} 天
              </Button>
            ))}
          </Space>
          {loading && <Typography.Text type="secondary">加载中…</Typography.Text>}
        </Space>
      </Card>
      {!s ? (
        <Card loading />
      ) : (
        <>
          <Row gutter={[16, 16]}>
            <Col span={4}>
              <Card size="small">
                <Statistic title="开票张数" value={s.summary.invoices} data-testid="kpi-invoices" />
              </Card>
            </Col>
            <Col span={5}>
              <Card size="small">
                <Statistic
                  title="价税合计（扣除红冲）"
                  value={yuan(s.summary.netAmount)}
                  data-testid="kpi-amount"
                />
              </Card>
            </Col>
            <Col span={4}>
              <Card size="small">
                <Statistic
                  title="红冲"
                  value={s.summary.redInvoices}
                  suffix={
                    <Typography.Text type="secondary" style={{ fontSize: 13 }}>
                      张 {yuan(s.summary.redAmount)}
                    </Typography.Text>
                  }
                  data-testid="kpi-red"
                />
              </Card>
            </Col>
            <Col span={4}>
              <Card size="small">
                <Statistic
                  title="扫码→开票转化率"
                  value={conversion === null ? "—" : `${conversion.toFixed(1)}%`}
                  data-testid="kpi-conversion"
                />
              </Card>
            </Col>
            <Col span={4}>
              <Card size="small">
                <Statistic
                  title="开票用时 中位 / P90"
                  value={`${duration(s.leadTime.median)} / ${duration(s.leadTime.p90)}`}
                  valueStyle={{ fontSize: 16, whiteSpace: "nowrap" }}
                />
              </Card>
            </Col>
            <Col span={3}>
              <Card size="small">
                <Statistic
                  title="开票/交付失败"
                  value={`${s.failures.total} / ${s.deliveries.failed}`}
                  valueStyle={{ color: s.failures.total + s.deliveries.failed > 0 ? "#cf1322" : undefined }}
                  data-testid="kpi-failures"
                />
              </Card>
            </Col>
          </Row>
          <Card
            size="small"
            title="每日开票张数与价税合计"
            extra={
              <Typography.Text type="secondary" data-testid="daily-days">
                {days.length} 天，其中 {days.filter((d) => d.invoices + d.redInvoices === 0).length} 天无开票
              </Typography.Text>
            }
          >
            <EChart option={daily} height={300} testId="chart-daily" />
          </Card>
          <Row gutter={16}>
            <Col span={8}>
              <Card size="small" title="按发票类型">
                <EChart
                  option={pie(s.byInvoiceType, (k) => SHORT_TYPE[k] ?? INVOICE_TYPE_LABELS[k] ?? k)}
                  height={240}
                />
              </Card>
            </Col>
            <Col span={8}>
              <Card size="small" title="按来源">
                <EChart option={pie(s.bySource, (k) => SOURCE_LABELS[k] ?? k)} height={240} />
              </Card>
            </Col>
            <Col span={8}>
              <Card size="small" title="按购买方类型">
                <EChart option={pie(s.byBuyerType, (k) => BUYER_TYPE_LABELS[k] ?? k)} height={240} />
              </Card>
            </Col>
          </Row>
          <Row gutter={16}>
            <Col span={12}>
              <Card size="small" title={`扫码转化（扫码 ${s.funnel.scans} 次）`}>
                <EChart option={funnel} height={260} testId="chart-funnel" />
              </Card>
            </Col>
            <Col span={12}>
              <Card size="small" title="按设备">
                <EChart option={devices} height={260} />
              </Card>
            </Col>
          </Row>
          <Row gutter={16}>
            <Col span={12}>
              <Card size="small" title={`开票失败（${s.failures.total} 张，仍未成功）`}>
                <Table
                  rowKey={(r) => `${r.code}:${r.reason}`}
                  size="small"
                  pagination={false}
                  dataSource={s.failures.reasons}
                  columns={[
                    { title: "原因", dataIndex: "reason" },
                    { title: "代码", dataIndex: "code", width: 190 },
                    { title: "张数", dataIndex: "count", width: 70, align: "right" },
                  ]}
                />
              </Card>
            </Col>
            <Col span={12}>
              <Card size="small" title={`交付失败 ${s.deliveries.failed} · 重试中 ${s.deliveries.retrying}`}>
                <Table
                  rowKey={(r) => `${r.channel}:${r.status}`}
                  size="small"
                  pagination={false}
                  dataSource={s.deliveries.byChannel}
                  columns={[
                    {
                      title: "渠道",
                      dataIndex: "channel",
                      width: 70,
                      render: (c: string) => (c === "email" ? "邮件" : "短信"),
                    },
                    {
                      title: "状态",
                      dataIndex: "status",
                      width: 90,
                      render: (x: string) => (x === "failed" ? "已放弃" : "重试中"),
                    },
                    { title: "数量", dataIndex: "count", width: 70, align: "right" },
                    { title: "最近错误", dataIndex: "lastError", ellipsis: true },
                  ]}
                />
              </Card>
            </Col>
          </Row>
        </>
      )}
    </Space>
  );
}
