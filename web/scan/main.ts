/**
 * The consumer page behind the QR (`/s/{token}`): loads the receipt code and moves between its
 * states — form, issuing, queued, failed, invoice(s), and the error pages. What the consumer typed
 * lives here for the whole visit, so no state change (a refused submit, a failed issue, a slow
 * channel) makes them type it again.
 */
import "./style.css";
import { ApiError, type IssuedInvoice, type MergeResult, type Receipt, scanApi, tokenFromPath } from "./api";
import { type Children, mount } from "./dom";
import { applyTitle, errorsFromServer, type FormState, initialForm, limitNotice, toSubmitBody } from "./form";
import { createFormView, type TitleTool } from "./form-view";
import { formatMoney } from "./format";
import { createMergeCard } from "./merge-view";
import { pageForError, pageForStatus, submitErrorText } from "./messages";
import { pollReceipt } from "./poll";
import { heroView, limitNoticeView, purchaseView } from "./receipt-view";
import { resultView } from "./result-view";
import {
  awaitsReview,
  failedView,
  issuingView,
  loadingView,
  merchantView,
  queuedView,
  reviewView,
  statusPageView,
} from "./status-view";
import { forgetBuyer, forgetTitles, loadSaved, loadTitles, saveBuyer, saveTitle, titleOf } from "./storage";
import { startStorePage, storeTokens } from "./store-view";
import { typedCodeView } from "./typed-code-view";

/** Waiting in front of a spinner: this long, then the page says the invoice is queued. */
const ISSUING_PATIENCE_MS = 30_000;
/** After that, the page keeps looking now and then, so an invoice issued later still appears. */
const BACKGROUND_POLL_MS = 10_000;
const BACKGROUND_POLL_FOR_MS = 10 * 60_000;

const root = document.getElementById("app")!;
const token = tokenFromPath(location.pathname);
const api = scanApi(token);

let typed: FormState | null = null;
let contacts: { email: string | null; mobile: string | null } = { email: null, mobile: null };
/** Bumped on every state change; a poll started for an older state stops by itself. */
let generation = 0;

function show(title: string, ...content: Children[]): void {
  generation += 1;
  document.title = `${title} · 票码`;
  mount(root, ...content);
  window.scrollTo(0, 0);
}

function showError(error: unknown) {
  const apiError = error instanceof ApiError ? error : new ApiError("NETWORK", 0, "网络连接失败");
  const page = pageForError(apiError);
  show(page.title, statusPageView(page, start));
}

/**
 * The receipt (or the error to show) that came with the HTML (platform/web.ts): read once and
 * removed, so a retry or a refresh asks the server again.
 */
function takeEmbedded(): { receipt: Receipt } | { error: ApiError } | null {
  const node = document.getElementById("scan-data");
  if (!node) return null;
  node.parentNode?.removeChild(node);
  try {
    const data = JSON.parse(node.textContent ?? "") as {
      receipt?: Receipt;
      error?: { code: string; status: number; message: string; details?: ApiError["details"] };
    };
    if (data.receipt) return { receipt: data.receipt };
    if (data.error) {
      const { code, status, message, details } = data.error;
      return { error: new ApiError(code, status, message, details ?? {}) };
    }
  } catch {
    // Unreadable: the page asks the server instead.
  }
  return null;
}

async function start() {
  // 门店码 and its waiting submission: a page of their own (store-view.ts).
  const store = storeTokens(location.pathname);
  if (store) return startStorePage(show, store);
  if (!token) {
    // `/s` itself: 输入开票码, for a receipt whose QR will not scan.
    show(
      "输入开票码",
      typedCodeView((found) => location.assign(`/s/${encodeURIComponent(found)}`)),
    );
    return;
  }
  const embedded = takeEmbedded();
  if (embedded && "receipt" in embedded) return route(embedded.receipt);
  if (embedded) return showError(embedded.error);
  show("扫码开票", loadingView());
  try {
    route(await api.load());
  } catch (error) {
    showError(error);
  }
}

function route(receipt: Receipt, options: { justIssued?: boolean; note?: string } = {}): void {
  const page = pageForStatus(receipt.status, receipt.expiresAt);
  if (page) {
    show(page.title, statusPageView(page));
  } else if (receipt.status === "invoiced") {
    showInvoices(receipt, receipt.invoices, options);
  } else if (receipt.status === "issuing") {
    const submission = receipt.submission;
    if (submission) contacts = { email: submission.email, mobile: submission.mobile };
    if (awaitsReview(receipt.invoices)) show("待商家审核", reviewView(receipt, contacts, refresh));
    else void waitForInvoice(receipt);
  } else if (receipt.status === "failed") {
    show("开票未成功", failedView(receipt, refresh));
  } else {
    showForm(receipt);
  }
}

function showInvoices(
  receipt: Receipt,
  invoices: IssuedInvoice[],
  options: { justIssued?: boolean; note?: string },
) {
  // Addresses this phone knows, to refill a failed delivery's resend (the view shows them masked).
  const saved = loadSaved();
  const known = [typed?.email, typed?.mobile, saved?.email, saved?.mobile].filter((a): a is string => !!a);
  show(
    options.justIssued ? "开票成功" : "电子发票",
    resultView(receipt, invoices, api, { ...options, known }),
  );
}

function showForm(receipt: Receipt) {
  // Above the limit with the reject policy nothing can be issued here: the notice says why, no form.
  if (limitNotice(receipt)?.kind === "reject") {
    show("无法在线开票", heroView(receipt), purchaseView(receipt), merchantView(receipt.seller));
    return;
  }
  const saved = loadSaved();
  const titles = loadTitles();
  let initial = typed ?? initialForm(receipt, saved);
  // The last title comes back with the invoice type it was taken with (when this receipt allows it).
  if (!typed && titles[0]) initial = applyTitle(initial, titles[0], receipt.invoiceTypes);
  // 合并开票, when the merchant allows it: other receipts added here are invoiced with this one.
  const merge =
    receipt.merge?.enabled && receipt.merge.maxReceipts > 1
      ? createMergeCard(receipt, api, (merged) => showMergedTotal(view.element, receipt, merged))
      : null;
  const view = createFormView(
    receipt,
    initial,
    true,
    {
      onSubmit: async (state, remember) => {
        typed = state;
        const title = titleOf(state);
        if (remember) {
          saveBuyer(state);
          saveTitle(state);
        } else {
          forgetBuyer();
          if (title) forgetTitles((t) => t.name !== title.name || t.taxId !== title.taxId);
        }
        const mergeCodes = merge?.codes() ?? [];
        const body = mergeCodes.length ? { ...toSubmitBody(state), mergeCodes } : toSubmitBody(state);
        contacts = { email: body.email || null, mobile: body.mobile || null };
        view.setBusy(true);
        try {
          const { body: result } = await api.submit(body);
          if (result.status === "issued" && result.invoices?.length) {
            showInvoices(receipt, result.invoices, { justIssued: true });
          } else if (result.status === "failed") {
            show("开票未成功", failedView(receipt, refresh));
          } else if (awaitsReview(result.invoices)) {
            show("待商家审核", reviewView(receipt, contacts, refresh));
          } else {
            void waitForInvoice(receipt);
          }
        } catch (error) {
          view.setBusy(false);
          void handleSubmitError(error, view);
        }
      },
    },
    titles,
    titleTools(receipt),
    // The company lookup by name, only when the organization has a registry service (else no request).
    receipt.titleSources?.lookup ? api.titles : undefined,
  );
  // On a short screen (320×568) the purchase folds to its total, so the first field shows on arrival.
  const short = window.innerHeight < 700;
  show(
    "扫码开票",
    heroView(receipt, { compact: short }),
    purchaseView(receipt, { folded: short }),
    // Folded, the purchase does not show the limit's notice (a split, say): it stands on its own.
    short ? limitNoticeView(receipt) : null,
    merge?.element,
    view.element,
  );
}

/** The form's bar shows what the submit will invoice: this receipt, or all the receipts merged. */
function showMergedTotal(form: HTMLElement, receipt: Receipt, merged: MergeResult | null): void {
  const amount = form.querySelector('[data-testid="submit-total"]');
  const label = form.querySelector('[data-testid="submit-total-label"]');
  if (amount) amount.textContent = formatMoney((merged?.totals ?? receipt.totals).totalAmount);
  if (label && merged) label.textContent = `价税合计（${merged.receipts.length + 1} 张小票）`;
}

/** The ways to fill the title this page offers; each loads its code only when tapped. */
function titleTools(receipt: Receipt): TitleTool[] {
  const tools: TitleTool[] = [];
  // 微信抬头: only inside WeChat, and only when the organization configured its 公众号.
  if (receipt.titleSources?.wechat && /MicroMessenger/i.test(navigator.userAgent)) {
    tools.push({
      id: "wechat",
      label: "微信抬头",
      run: () => import("./wechat-title").then((m) => m.chooseWechatTitle(token)),
    });
  }
  // A title QR (national 便捷开票二维码 or WeChat's), from the camera or a photo: decoder loaded on tap.
  tools.push({
    id: "qr",
    label: "扫码识别抬头",
    run: () => import("./title-qr").then((m) => m.scanTitleQr()),
  });
  return tools;
}

async function handleSubmitError(error: unknown, view: ReturnType<typeof createFormView>) {
  if (!(error instanceof ApiError)) return view.showServerErrors({ form: submitErrorText(networkError()) });
  if (error.status === 404 || error.status === 410) return showError(error);
  if (error.code === "ALREADY_INVOICED") {
    // Someone (perhaps this phone, earlier) already invoiced this receipt: show what was issued.
    try {
      return route(await api.poll(), { note: "该小票已开具过发票，不能再次开具或更换抬头。" });
    } catch (loadError) {
      return showError(loadError);
    }
  }
  if (error.code === "VALIDATION_FAILED" && Object.keys(error.fields).length) {
    const errors = errorsFromServer(error.fields);
    if (errors.form) errors.form = `${error.message}：${errors.form}`;
    return view.showServerErrors(errors);
  }
  if (error.code === "INVOICE_TYPE_NOT_ALLOWED")
    return view.showServerErrors({ invoiceType: submitErrorText(error) });
  return view.showServerErrors({ form: submitErrorText(error) });
}

function networkError() {
  return new ApiError("NETWORK", 0, "网络连接失败");
}

async function waitForInvoice(receipt: Receipt): Promise<void> {
  show("正在开具", issuingView(receipt, contacts));
  const mine = generation;
  const outcome = await pollReceipt(api.poll, {
    intervalMs: 1000,
    timeoutMs: ISSUING_PATIENCE_MS,
    isCancelled: () => mine !== generation,
  });
  if (mine !== generation) return;
  if (outcome.kind === "settled") return route(outcome.receipt, { justIssued: true });
  const latest = outcome.kind === "timeout" && outcome.receipt ? outcome.receipt : receipt;
  void showQueued(latest);
}

/** Asks again for the receipt's state, at the consumer's request. */
async function refresh(): Promise<void> {
  try {
    route(await api.poll(), { justIssued: true });
  } catch (error) {
    showError(error);
  }
}

/** The submit was accepted but no invoice yet (channel slow or offline): nothing is lost, say so. */
async function showQueued(receipt: Receipt): Promise<void> {
  show("排队开具中", queuedView(receipt, contacts, refresh));
  const mine = generation;
  const outcome = await pollReceipt(api.poll, {
    intervalMs: BACKGROUND_POLL_MS,
    timeoutMs: BACKGROUND_POLL_FOR_MS,
    maxErrors: 30,
    isCancelled: () => mine !== generation,
  });
  if (mine === generation && outcome.kind === "settled") route(outcome.receipt, { justIssued: true });
}

void start();
