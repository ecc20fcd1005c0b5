import { Alert, Form, type FormInstance, Modal } from "antd";
import { type ReactNode, useEffect, useState } from "react";
import { clearChangedErrors, showFieldErrors } from "../../form-errors";

/**
 * A modal form for one record: shows the server's refusals at their fields and closes only when
 * the save succeeded.
 */
export function EditModal<T extends object>(props: {
  title: string;
  open: boolean;
  initial: Partial<T>;
  fields: readonly string[];
  onSave: (values: T) => Promise<unknown>;
  onClose: () => void;
  children: (form: FormInstance<T>) => ReactNode;
  width?: number;
}) {
  const [form] = Form.useForm<T>();
  const [busy, setBusy] = useState(false);
  const [banner, setBanner] = useState<string[]>([]);
  const { open, initial } = props;

  // The form mounts afresh on every opening (destroyOnHidden), so initial values are set once, at
  // mount: resetting them in an effect could wipe what the user already typed.
  useEffect(() => {
    if (open) setBanner([]);
  }, [open]);

  const ok = async () => {
    const values = await form.validateFields().catch(() => null);
    if (!values) return;
    setBusy(true);
    setBanner([]);
    try {
      await props.onSave({ ...(initial as T), ...values });
      props.onClose();
    } catch (e) {
      setBanner(showFieldErrors(form, e, props.fields));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title={props.title}
      open={open}
      onOk={ok}
      onCancel={props.onClose}
      confirmLoading={busy}
      okText="保存"
      cancelText="取消"
      width={props.width ?? 560}
      destroyOnHidden
    >
      {banner.length > 0 && (
        <Alert type="error" showIcon message={banner.join("；")} style={{ marginBottom: 12 }} />
      )}
      <Form
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={initial}
        onValuesChange={(changed) => clearChangedErrors(form, changed)}
      >
        {props.children(form)}
      </Form>
    </Modal>
  );
}
