/**
 * 我的发票's calls (`/api/my`, issue 22): the shapes are the server's zod schemas, read as types.
 * The session is an HttpOnly cookie the page never sees; a 401 means "log in".
 */
import type { z } from "zod";
import type {
  codeResponse,
  detailResponse,
  listResponse,
  resendResponse,
  sessionView,
} from "../../src/modules/my-invoices/my-invoices.schema";
import { requestJson } from "../scan/api";
import type { ResendBody } from "../scan/api-types";

export type MySession = z.output<typeof sessionView>;
export type MyList = z.output<typeof listResponse>;
export type MyListItem = MyList["items"][number];
export type MyDetail = z.output<typeof detailResponse>;
export type CodeSent = z.output<typeof codeResponse>;
export type Contact = { email: string } | { mobile: string };

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export function myApi(fetcher: Fetch = (input, init) => fetch(input, init)) {
  return {
    session: async () => (await requestJson<MySession>(fetcher, "/api/my/session")).body,
    sendCode: async (to: Contact) =>
      (await requestJson<CodeSent>(fetcher, "/api/my/code", { method: "POST", body: to })).body,
    login: async (to: Contact, code: string) =>
      (await requestJson<MySession>(fetcher, "/api/my/session", { method: "POST", body: { ...to, code } }))
        .body,
    logout: async () => {
      await fetcher("/api/my/session", { method: "DELETE", credentials: "same-origin" }).catch(() => null);
    },
    list: async (filter: { seller?: string; month?: string; page?: number }) => {
      const query = new URLSearchParams();
      if (filter.seller) query.set("seller", filter.seller);
      if (filter.month) query.set("month", filter.month);
      if (filter.page && filter.page > 1) query.set("page", String(filter.page));
      const text = query.toString();
      return (await requestJson<MyList>(fetcher, `/api/my/invoices${text ? `?${text}` : ""}`)).body;
    },
    invoice: async (id: string) =>
      (await requestJson<MyDetail>(fetcher, `/api/my/invoices/${encodeURIComponent(id)}`)).body,
    resend: async (id: string, to: ResendBody) =>
      (
        await requestJson<z.output<typeof resendResponse>>(
          fetcher,
          `/api/my/invoices/${encodeURIComponent(id)}/resend`,
          { method: "POST", body: to },
        )
      ).body,
  };
}

export type MyApi = ReturnType<typeof myApi>;
