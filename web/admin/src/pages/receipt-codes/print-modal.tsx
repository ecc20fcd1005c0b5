import { Button, Modal, Radio, Typography } from "antd";
import { useState } from "react";

const FORMAT_KEY = "piaoma.console.slipFormat";

/** 打印: the receipt slip with the QR, for 58 mm and 80 mm thermal printers or A4. */
export function PrintModal({
  orgId,
  code,
  onClose,
}: {
  orgId: string;
  code: { id: string; serialNo: string } | null;
  onClose: () => void;
}) {
  const [format, setFormatState] = useState(() => localStorage.getItem(FORMAT_KEY) ?? "80mm");
  // The last paper chosen is the next one offered: a shop prints on the same printer all day.
  const setFormat = (f: string) => {
    localStorage.setItem(FORMAT_KEY, f);
    setFormatState(f);
  };
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
        data-testid="slip-format"
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
