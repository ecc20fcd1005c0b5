import { App, Form, Input } from "antd";
import { api } from "./api";
import { EditModal } from "./pages/base-data/edit-modal";

interface PasswordForm {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

/**
 * 修改密码: every user changes its own password (an admin may reset another's only when it
 * administers all of that user's organizations). Other logins of the user end; this one stays.
 */
export function ChangePasswordModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { message } = App.useApp();
  return (
    <EditModal<PasswordForm>
      title="修改密码"
      open={open}
      initial={{}}
      fields={["currentPassword", "newPassword"]}
      width={420}
      onClose={onClose}
      onSave={async (v) => {
        await api.put("/session/password", {
          currentPassword: v.currentPassword,
          newPassword: v.newPassword,
        });
        message.success("密码已修改，其他设备上的登录已退出");
      }}
    >
      {() => (
        <>
          <Form.Item
            label="当前密码"
            name="currentPassword"
            rules={[{ required: true, message: "请输入当前密码" }]}
          >
            <Input.Password autoComplete="current-password" data-testid="current-password" />
          </Form.Item>
          <Form.Item
            label="新密码"
            name="newPassword"
            rules={[
              { required: true, message: "请输入新密码" },
              { min: 8, message: "新密码至少 8 位" },
            ]}
          >
            <Input.Password autoComplete="new-password" placeholder="至少 8 位" data-testid="new-password" />
          </Form.Item>
          <Form.Item
            label="确认新密码"
            name="confirm"
            dependencies={["newPassword"]}
            rules={[
              { required: true, message: "请再次输入新密码" },
              ({ getFieldValue }) => ({
                validator: (_, value) =>
                  !value || value === getFieldValue("newPassword")
                    ? Promise.resolve()
                    : Promise.reject(new Error("两次输入的新密码不一致")),
              }),
            ]}
          >
            <Input.Password autoComplete="new-password" data-testid="confirm-password" />
          </Form.Item>
        </>
      )}
    </EditModal>
  );
}
