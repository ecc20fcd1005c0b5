import { Alert, App, Button, Checkbox, Modal, Space, Table, Typography, Upload } from "antd";
import { useState } from "react";
import { ApiError, api } from "../../api";
import type { ImportRowError, ItemImportResult } from "../../api-types";

const TEMPLATE = [
  "编码,项目名称,税收分类简称,税收分类编码,税率,零税率类型,规格型号,单位,单价",
  "MILK-1L,纯牛奶,乳制品,1030201000000000000,13%,,1L,盒,12.50",
  "LUNCH,午餐,餐饮服务,3070401000000000000,6%,,,份,",
  "BOOK,图书,图书,1060101000000000000,0%,免税,,本,",
].join("\r\n");

/** A CSV file offered for download, UTF-8 with a BOM so that Excel opens it with the right encoding. */
function downloadCsv(fileName: string, text: string) {
  const url = URL.createObjectURL(new Blob([`\uFEFF${text}`], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.click();
  URL.revokeObjectURL(url);
}

const cell = (v: string | number) => {
  const text = String(v);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The error report: one line per problem, every problem of every row. */
export function errorReportCsv(errors: ImportRowError[]): string {
  return [["行号", "列", "错误说明"], ...errors.map((e) => [e.row, e.column, e.message])]
    .map((r) => r.map(cell).join(","))
    .join("\r\n");
}

type Outcome =
  | { kind: "done"; result: ItemImportResult }
  | { kind: "refused"; message: string; errors: ImportRowError[] };

/** 导入开票项: choose a file, optionally skip the bad rows, then see (and download) every row's problems. */
export function ItemsImportModal(props: {
  orgId: string;
  open: boolean;
  onClose: () => void;
  onImported: () => void;
}) {
  const { message } = App.useApp();
  const [skipBadRows, setSkipBadRows] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const upload = async (file: File) => {
    setBusy(true);
    setOutcome(null);
    const body = new FormData();
    body.append("file", file);
    try {
      const result = await api.post<ItemImportResult>(
        `/orgs/${props.orgId}/items/import${skipBadRows ? "?skipBadRows=true" : ""}`,
        body,
      );
      setOutcome({ kind: "done", result });
      message.success(`导入完成：新增 ${result.created} 个，更新 ${result.updated} 个`);
      props.onImported();
    } catch (e) {
      const rowErrors =
        e instanceof ApiError ? (e.details.rowErrors as ImportRowError[] | undefined) : undefined;
      setOutcome({
        kind: "refused",
        message: e instanceof Error ? e.message : String(e),
        errors: rowErrors ?? [],
      });
    } finally {
      setBusy(false);
    }
  };

  const errors = outcome ? (outcome.kind === "done" ? outcome.result.errors : outcome.errors) : [];
  const close = () => {
    setOutcome(null);
    props.onClose();
  };
  return (
    <Modal title="导入开票项" open={props.open} onCancel={close} footer={null} width={720} destroyOnHidden>
      <Space direction="vertical" style={{ width: "100%" }}>
        <Typography.Text type="secondary">
          支持 CSV（UTF-8）和 Excel（.xlsx），第一行为列名；编码已存在的开票项将被更新。
          <Button type="link" size="small" onClick={() => downloadCsv("开票项导入模板.csv", TEMPLATE)}>
            下载导入模板
          </Button>
        </Typography.Text>
        <Checkbox
          checked={skipBadRows}
          onChange={(e) => setSkipBadRows(e.target.checked)}
          data-testid="import-skip-bad-rows"
        >
          跳过有误的行，导入其余各行（不勾选时，任一行有误则整个文件不导入）
        </Checkbox>
        <Upload
          accept=".csv,.xlsx"
          showUploadList={false}
          beforeUpload={(file) => {
            void upload(file);
            return false;
          }}
        >
          <Button type="primary" loading={busy} data-testid="import-choose-file">
            选择文件并导入
          </Button>
        </Upload>
        {outcome?.kind === "done" && (
          <Alert
            type={errors.length > 0 ? "warning" : "success"}
            showIcon
            data-testid="import-summary"
            message={`新增 ${outcome.result.created} 个，更新 ${outcome.result.updated} 个${
              outcome.result.skipped > 0 ? `，跳过 ${outcome.result.skipped} 行有误的数据` : ""
            }`}
          />
        )}
        {outcome?.kind === "refused" && (
          <Alert
            type="error"
            showIcon
            data-testid="import-refused"
            message={errors.length > 0 ? "文件中有错误，未导入任何数据" : outcome.message}
          />
        )}
        {errors.length > 0 && (
          <>
            <div className="toolbar">
              <Typography.Text>共 {errors.length} 处错误：</Typography.Text>
              <Button
                onClick={() => downloadCsv("开票项导入错误报告.csv", errorReportCsv(errors))}
                data-testid="import-error-report"
              >
                下载错误报告
              </Button>
            </div>
            <Table<ImportRowError>
              size="small"
              rowKey={(e) => `${e.row}-${e.field}-${e.message}`}
              dataSource={errors}
              pagination={errors.length > 8 ? { pageSize: 8 } : false}
              data-testid="import-errors"
              columns={[
                { title: "行号", dataIndex: "row", width: 70 },
                { title: "列", dataIndex: "column", width: 140 },
                { title: "错误说明", dataIndex: "message" },
              ]}
            />
          </>
        )}
      </Space>
    </Modal>
  );
}
