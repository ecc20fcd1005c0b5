/**
 * 门店码 (`/m/{storeToken}`): a static QR of a store or a table. The consumer fills the normal buyer
 * form (form-view.ts), with the amount and receipt number if they have them; the submission then
 * waits at `/m/p/{token}` until the merchant matches it to the sale, when the receipt's own page
 * (`/s/{receiptToken}`) shows the invoice.
 */
import { ApiError, type Receipt, requestJson } from "./api";
import { h } from "./dom";
import { errorsFromServer, initialForm, toSubmitBody } from "./form";
import { createFormView } from "./form-view";
import { loadSaved, saveBuyer } from "./storage";

/** `GET /api/store/{token}`: the store, and the invoice types its organization allows. */
type StorePage = Pick<Receipt, "invoiceTypes" | "defaultInvoiceType" | "defaultBuyerType"> & {
  storeName: string;
  sellerName: string;
};
interface PendingState {
  token: string;
  status: "waiting" | "matched" | "dismissed" | "expired";
  message: string;
  buyerName: string;
  expiresAt: string;
  receiptToken: string | null;
}

const fetcher = (input: string, init?: RequestInit) => fetch(input, init);
const POLL_MS = 5_000;

type Show = (title: string, ...content: Array<HTMLElement | null>) => void;

export function storeTokens(pathname: string): { store?: string; pending?: string } | null {
  const pending = /^\/m\/p\/([A-Za-z0-9_-]{8,64})\/?$/.exec(pathname);
  if (pending) return { pending: pending[1] };
  const store = /^\/m\/([A-Za-z0-9_-]{8,64})\/?$/.exec(pathname);
  return store ? { store: store[1] } : null;
}

function message(text: string, testId: string): HTMLElement {
  return h(
    "section",
    { class: "status-page", "data-testid": testId, role: "status" },
    h("h1", { class: "status-title" }, text),
  );
}

export async function startStorePage(
  show: Show,
  tokens: { store?: string; pending?: string },
): Promise<void> {
  try {
    if (tokens.pending) return await showPending(show, tokens.pending);
    if (tokens.store) return await showStoreForm(show, tokens.store);
  } catch (error) {
    show(
      "扫码开票",
      message(error instanceof ApiError ? error.message : "网络连接失败，请稍后再试", "store-error"),
    );
  }
}

async function showStoreForm(show: Show, storeToken: string): Promise<void> {
  const { body: store } = await requestJson<StorePage>(
    fetcher,
    `/api/store/${encodeURIComponent(storeToken)}`,
  );
  // The form needs a receipt's shape: a store code has no purchase, so no total; the invoice types
  // are the organization's (小票码配置), which the server checks again.
  const receipt = {
    invoiceTypes: store.invoiceTypes,
    defaultInvoiceType: store.defaultInvoiceType,
    defaultBuyerType: store.defaultBuyerType,
    totals: { totalAmount: "" },
    limit: null,
    prefill: null,
  } as unknown as Receipt;
  const amount = h("input", { id: "f-store-amount", inputmode: "decimal", placeholder: "选填，如 88.00" });
  const receiptNo = h("input", { id: "f-store-receipt", placeholder: "选填，小票上的单号" });
  const view = createFormView(receipt, initialForm(receipt, loadSaved()), true, {
    onSubmit: async (state, remember) => {
      if (remember) saveBuyer(state);
      view.setBusy(true);
      try {
        const { body } = await requestJson<PendingState>(
          fetcher,
          `/api/store/${encodeURIComponent(storeToken)}/submissions`,
          {
            method: "POST",
            body: {
              ...toSubmitBody(state),
              amount: amount.value.trim() || null,
              receiptNo: receiptNo.value.trim() || null,
            },
          },
        );
        history.replaceState(null, "", `/m/p/${body.token}`);
        await showPending(show, body.token, body);
      } catch (error) {
        view.setBusy(false);
        if (error instanceof ApiError && Object.keys(error.fields).length)
          return view.showServerErrors(errorsFromServer(error.fields));
        view.showServerErrors({
          form: error instanceof ApiError ? error.message : "网络连接失败，请稍后再试",
        });
      }
    },
  });
  const extra = h(
    "section",
    { class: "card" },
    h("label", { for: "f-store-amount" }, "消费金额"),
    amount,
    h("label", { for: "f-store-receipt" }, "小票号"),
    receiptNo,
  );
  show(
    "门店开票",
    h(
      "header",
      { class: "hero" },
      h("h1", null, store.sellerName),
      h("p", { "data-testid": "store-name" }, store.storeName),
    ),
    extra,
    view.element,
  );
}

async function showPending(show: Show, token: string, known?: PendingState): Promise<void> {
  const state =
    known ?? (await requestJson<PendingState>(fetcher, `/api/pending/${encodeURIComponent(token)}`)).body;
  if (state.status === "matched" && state.receiptToken) {
    location.assign(`/s/${state.receiptToken}`);
    return;
  }
  show(
    "门店开票",
    message(state.message, `pending-${state.status}`),
    h("p", null, `抬头：${state.buyerName}`),
  );
  if (state.status === "waiting") setTimeout(() => void showPending(show, token), POLL_MS);
}
