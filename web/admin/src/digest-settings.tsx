import { App, Form, Input, Switch } from "antd";
import { useEffect, useState } from "react";
import { api } from "./api";
import type { DigestSettings } from "./api-types";
import { EditModal } from "./pages/base-data/edit-modal";

/**
 * 每日摘要: the signed-in user's address for the daily digest (sent each morning to the admins of
 * each organization) and whether it wants it; the e-mail's own link turns it off too.
 */
export function DigestSettingsModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { message } = App.useApp();
  const [initial, setInitial] = useState<DigestSettings | null>(null);
  useEffect(() => {
    if (open) void api.get<DigestSettings>("/me/digest").then(setInitial);
    else setInitial(null);
  }, [open]);
  if (open && !initial) return null;
  return (
    <EditModal<DigestSettings>
      title="每日摘要"
      open={open && initial !== null}
      initial={initial ?? {}}
      fields={["email", "dailyDigest"]}
      width={460}
      onClose={onClose}
      onSave={async (v) => {
        await api.put("/me/digest", { email: v.email ?? "", dailyDigest: Boolean(v.dailyDigest) });
        message.success("每日摘要设置已保存");
      }}
    >
      {() => (
        <>
          <Form.Item
            label="接收邮箱"
            name="email"
            extra="每天早上发送前一日的开票情况与待处理异常（仅管理员）"
          >
            <Input type="email" autoComplete="email" data-testid="digest-email" />
          </Form.Item>
          <Form.Item label="接收每日摘要" name="dailyDigest" valuePropName="checked">
            <Switch data-testid="digest-toggle" />
          </Form.Item>
        </>
      )}
    </EditModal>
  );
}
