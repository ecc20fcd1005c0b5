import {
  Button,
  Card,
  Form,
  type FormInstance,
  Space,
  Table,
  type TableColumnsType,
  type TableColumnType,
  type TableProps,
  Typography,
} from "antd";
import { type ReactNode, useState } from "react";

/**
 * A cell's text on one line, cut with an ellipsis at the column's width; the whole text shows in a
 * tooltip when (and only when) it was cut. Columns marked `ellipsis: true` in a ListPage get it.
 */
export function CellText({ children }: { children: ReactNode }) {
  if (children === null || children === undefined || children === "") return <>—</>;
  return (
    <Typography.Text ellipsis={{ tooltip: { title: children, placement: "topLeft" } }} className="cell-text">
      {children}
    </Typography.Text>
  );
}

/** Columns marked `ellipsis: true` keep one line and show a cut text whole in a tooltip (CellText). */
function withCellText<Row>(columns: TableColumnsType<Row> | undefined): TableColumnsType<Row> | undefined {
  return columns?.map((c) => {
    if (c.ellipsis !== true || "children" in c) return c;
    const render = c.render;
    const dataIndex = "dataIndex" in c ? c.dataIndex : undefined;
    return {
      ...c,
      // antd's own title attribute would show a second, plain tooltip.
      ellipsis: { showTitle: false },
      render: (value: unknown, row: Row, index: number) => {
        const shown = render ? render(value, row, index) : dataIndex !== undefined ? value : undefined;
        return <CellText>{shown as ReactNode}</CellText>;
      },
    };
  });
}

/** Row selection (checkboxes, kept across pages) and the bulk actions shown while rows are ticked. */
export interface ListSelection<Row> {
  keys: string[];
  onChange: (keys: string[]) => void;
  /** A row that cannot be ticked (e.g. nothing can be done with it). */
  disabled?: (row: Row) => boolean;
  /** The bulk actions, next to 已选 N 项. */
  actions?: ReactNode;
}

/**
 * A 合计 row under the table: values under the columns of the same `key`; the label fills the
 * columns before the first of them (one cell across, so a long label does not wrap).
 */
export interface ListSummary {
  label: ReactNode;
  cells: Record<string, ReactNode>;
}

/**
 * The shape every list page of the console shares: a card of filters (查询 / 重置), a toolbar with
 * the page's actions and the count, and the table with server-side paging. Pages give the filter
 * fields (Form.Items), the actions and the table's columns; the filter values reach `onSearch` as
 * the form holds them. A page without filters leaves them out; a list the server sends whole is
 * paged here (no `onPage`); in a tab or a card of its own, `embedded` drops the cards' frames.
 * Columns marked `ellipsis: true` stay on one line with a tooltip for what was cut (CellText).
 */
export function ListPage<Row extends object, Filters extends object>(props: {
  filterForm?: FormInstance<Filters>;
  filters?: ReactNode;
  onSearch?: (values: Filters) => void;
  onReset?: () => void;
  actions?: ReactNode;
  total: number;
  page?: number;
  /** 20 unless given. */
  pageSize?: number;
  /** Server-side paging; without it the rows given (all of them) are paged here. */
  onPage?: (page: number) => void;
  table: Omit<TableProps<Row>, "pagination" | "rowSelection" | "summary">;
  testId?: string;
  /** No frames around the filters and the table: the list sits in a tab or a card of its own. */
  embedded?: boolean;
  /** The 查询 button's test id (list-search unless given). */
  searchTestId?: string;
  /** The count's unit (共 N 条 / 共 N 张). */
  unit?: string;
  selection?: ListSelection<Row>;
  summary?: ListSummary;
}) {
  const [localPage, setLocalPage] = useState(1);
  const frame = props.embedded ? ({ variant: "borderless", styles: { body: { padding: 0 } } } as const) : {};
  const { selection, summary } = props;
  const columns = (props.table.columns ?? []) as TableColumnType<Row>[];
  // The row's checkbox column comes first, so the summary's cells move one to the right.
  const offset = selection ? 1 : 0;
  const firstValue = summary
    ? columns.findIndex((c) => c.key !== undefined && String(c.key) in summary.cells)
    : -1;
  const labelSpan = firstValue > 0 ? firstValue : 1;
  return (
    <>
      <Card className="page-card" styles={{ body: { paddingBottom: 0 } }} {...frame} hidden={!props.filters}>
        <Form<Filters>
          form={props.filterForm}
          layout="inline"
          onFinish={props.onSearch}
          style={{ rowGap: 16, paddingBottom: 16 }}
        >
          {props.filters}
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" data-testid={props.searchTestId ?? "list-search"}>
                查询
              </Button>
              <Button
                onClick={() => {
                  props.filterForm?.resetFields();
                  props.onReset?.();
                }}
              >
                重置
              </Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      <Card className="page-card" {...frame}>
        <div className="toolbar">
          <Space wrap>
            {props.actions}
            {selection && selection.keys.length > 0 && (
              <Space data-testid="list-selection">
                <Typography.Text strong>已选 {selection.keys.length} 项</Typography.Text>
                {selection.actions}
                <Button type="link" onClick={() => selection.onChange([])} data-testid="list-clear-selection">
                  清除选择
                </Button>
              </Space>
            )}
          </Space>
          <Typography.Text type="secondary" data-testid="list-total">
            共 {props.total} {props.unit ?? "条"}
          </Typography.Text>
        </div>
        <Table<Row>
          rowKey="id"
          size="middle"
          data-testid={props.testId}
          {...props.table}
          columns={withCellText(props.table.columns)}
          rowSelection={
            selection && {
              selectedRowKeys: selection.keys,
              preserveSelectedRowKeys: true,
              onChange: (keys) => selection.onChange(keys.map(String)),
              getCheckboxProps: selection.disabled
                ? (row) => ({ disabled: selection.disabled?.(row) ?? false })
                : undefined,
            }
          }
          summary={
            summary &&
            (() => (
              <Table.Summary fixed>
                <Table.Summary.Row data-testid="list-summary">
                  {offset > 0 && <Table.Summary.Cell index={0} />}
                  <Table.Summary.Cell index={offset} colSpan={labelSpan}>
                    {summary.label}
                  </Table.Summary.Cell>
                  {columns.slice(labelSpan).map((c, i) => (
                    <Table.Summary.Cell
                      key={String(c.key ?? i)}
                      index={i + labelSpan + offset}
                      align={c.align}
                    >
                      {c.key !== undefined ? summary.cells[String(c.key)] : null}
                    </Table.Summary.Cell>
                  ))}
                </Table.Summary.Row>
              </Table.Summary>
            ))
          }
          pagination={{
            current: props.page ?? localPage,
            pageSize: props.pageSize ?? 20,
            total: props.total,
            onChange: props.onPage ?? setLocalPage,
            showSizeChanger: false,
            hideOnSinglePage: !props.onPage,
          }}
        />
      </Card>
    </>
  );
}

/** A CSV file for a spreadsheet (UTF-8 with BOM, so Excel reads the Chinese), downloaded at once. */
export function downloadCsv(fileName: string, header: string[], rows: string[][]): void {
  // A text a spreadsheet would run as a formula starts with a quote mark instead.
  const safe = (v: string) => (/^[=+@]|^-(?!\d+(\.\d+)?$)/.test(v) ? `'${v}` : v);
  const cell = (v: string) => {
    const t = safe(v);
    return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  const text = [header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n");
  const url = URL.createObjectURL(new Blob([`\uFEFF${text}`], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
