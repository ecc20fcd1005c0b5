import { App, Button, Card, Input, Space, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api, query } from "../api";
import type { Page } from "../api-types";
import { formatTime } from "../labels";
import { ListPage } from "../list-page";
import { yuan } from "../money";
import { useCan, useConsole } from "../session";

interface StoreCode {
  id: string;
  name: string;
  token: string;
  active: boolean;
  url: string;
  createdAt: string;
}
interface Pending {
  id: string;
  buyerName: string;
  buyerTaxId: string | null;
  amount: string | null;
  receiptNo: string | null;
  expiresAt: string;
  createdAt: string;
}

/** 门店码: the organization's static store/table QR codes, and 待匹配 — submissions waiting for a sale. */
export default function StoreCodesPage() {
  const { message } = App.useApp();
  const { orgId } = useConsole();
  const can = useCan();
  const [codes, setCodes] = useState<StoreCode[]>([]);
  const [pending, setPending] = useState<Pending[]>([]);
  const [name, setName] = useState("");
  const [orderNos, setOrderNos] = useState<Record<string, string>>({});

  const load = useCallback(async () => {
    setCodes((await api.get<{ items: StoreCode[] }>(`/orgs/${orgId}/store-codes`)).items);
    setPending(
      (await api.get<Page<Pending>>(`/orgs/${orgId}/pending-submissions${query({ pageSize: 200 })}`)).items,
    );
  }, [orgId]);
  useEffect(() => {
    void load();
  }, [load]);

  const copyLink = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      message.success("链接已复制");
    } catch {
      message.error(`复制失败，请手动复制：${url}`);
    }
  };

  const run = async (action: () => Promise<unknown>, done: string) => {
    try {
      await action();
      message.success(done);
      await load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <Space direction="vertical" size="large" style={{ width: "100%" }}>
      <Card title="门店码">
        <ListPage<StoreCode, object>
          embedded
          total={codes.length}
          testId="store-codes-table"
          actions={
            can("operate") && (
              <>
                <Input
                  placeholder="门店或桌号，如 一楼 12 号桌"
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  data-testid="store-code-name"
                />
                <Button
                  type="primary"
                  data-testid="store-code-create"
                  onClick={() => run(() => api.post(`/orgs/${orgId}/store-codes`, { name }), "已新增门店码")}
                >
                  新增门店码
                </Button>
              </>
            )
          }
          table={{
            dataSource: codes,
            columns: [
              { title: "名称", dataIndex: "name", width: 200, ellipsis: true },
              {
                title: "二维码链接",
                dataIndex: "url",
                render: (url: string) => (
                  <Typography.Text copyable ellipsis={{ tooltip: url }} className="cell-text">
                    {url}
                  </Typography.Text>
                ),
              },
              {
                title: "状态",
                dataIndex: "active",
                width: 90,
                render: (active: boolean) => (active ? <Tag color="green">启用</Tag> : <Tag>停用</Tag>),
              },
              {
                title: "操作",
                width: 300,
                render: (_: unknown, c: StoreCode) => (
                  <Space>
                    <Button size="small" data-testid="store-code-copy" onClick={() => void copyLink(c.url)}>
                      复制链接
                    </Button>
                    {can("operate") && c.active && (
                      <Button
                        size="small"
                        href={`/api/console/orgs/${orgId}/store-codes/${c.id}/card.pdf`}
                        target="_blank"
                        data-testid="store-code-print"
                      >
                        打印二维码（A6）
                      </Button>
                    )}
                    {can("operate") && (
                      <Button
                        size="small"
                        onClick={() =>
                          run(
                            () =>
                              api.post(
                                `/orgs/${orgId}/store-codes/${c.id}/${c.active ? "disable" : "enable"}`,
                              ),
                            c.active ? "已停用" : "已启用",
                          )
                        }
                      >
                        {c.active ? "停用" : "启用"}
                      </Button>
                    )}
                  </Space>
                ),
              },
            ],
          }}
        />
      </Card>
      <Card title="待匹配">
        <ListPage<Pending, object>
          embedded
          total={pending.length}
          testId="pending-table"
          table={{
            dataSource: pending,
            columns: [
              { title: "抬头", dataIndex: "buyerName", ellipsis: true },
              { title: "税号", dataIndex: "buyerTaxId", width: 170, ellipsis: true },
              {
                title: "金额",
                dataIndex: "amount",
                width: 110,
                align: "right",
                className: "money",
                render: (a: string | null) => yuan(a),
              },
              { title: "小票号", dataIndex: "receiptNo", width: 130, ellipsis: true },
              { title: "提交时间", dataIndex: "createdAt", width: 140, render: (t: string) => formatTime(t) },
              { title: "过期时间", dataIndex: "expiresAt", width: 140, render: (t: string) => formatTime(t) },
              {
                title: "操作",
                width: 290,
                render: (_: unknown, p: Pending) =>
                  can("operate") && (
                    <Space>
                      <Input
                        size="small"
                        placeholder="订单号/流水号"
                        style={{ width: 130 }}
                        value={orderNos[p.id] ?? ""}
                        onChange={(e) => setOrderNos({ ...orderNos, [p.id]: e.target.value })}
                        data-testid={`match-order-${p.id}`}
                      />
                      <Button
                        size="small"
                        type="primary"
                        data-testid={`match-${p.id}`}
                        onClick={() =>
                          run(
                            () =>
                              api.post(`/orgs/${orgId}/pending-submissions/${p.id}/match`, {
                                orderNo: orderNos[p.id] ?? "",
                              }),
                            "已匹配，正在开票",
                          )
                        }
                      >
                        匹配
                      </Button>
                      <Button
                        size="small"
                        onClick={() =>
                          run(() => api.post(`/orgs/${orgId}/pending-submissions/${p.id}/dismiss`), "已忽略")
                        }
                      >
                        忽略
                      </Button>
                    </Space>
                  ),
              },
            ],
          }}
        />
      </Card>
    </Space>
  );
}
