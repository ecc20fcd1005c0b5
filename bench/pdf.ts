import { performance } from "node:perf_hooks";
import { chromium } from "playwright-core";
import { amountInCapitals, computeInvoice, invoiceQrText } from "../src/domain";
import {
  documentLineOf,
  type InvoiceDocument,
  renderInvoicePdf,
  renderInvoiceXml,
} from "../src/modules/documents";
import { machine, percentiles, round, writeSection } from "./support";

/**
 * Invoice PDF rendering: renders per second for a 5-line and a 200-line invoice with our renderer
 * (src/modules/documents: PdfCanvas writing the page content and fonts, PdfWriter the file), against
 * the common alternative of printing the same invoice as HTML through headless Chromium.
 */
export function invoice(lines: number): InvoiceDocument {
  const computed = computeInvoice({
    lines: Array.from({ length: lines }, (_, i) => ({
      name: `商品${i + 1}号（规格较长的名称用于测试换行）`,
      shortName: "餐饮服务",
      taxCode: "3070401000000000000",
      taxRate: "0.06",
      quantity: String(1 + (i % 5)),
      unitPrice: "12.50",
      amount: (12.5 * (1 + (i % 5))).toFixed(2),
    })),
  });
  if (!computed.ok) throw new Error("bench invoice does not compute");
  const { lines: l, totals } = computed.value;
  const issuedAt = new Date("2026-11-22T04:00:00Z");
  const number = "26442000000000000001";
  return {
    mode: "issued",
    color: "blue",
    invoiceType: "digital_normal",
    number,
    issuedAt,
    seller: { name: "票码示范酒店（深圳）有限公司", taxId: "91440300PMDEM0017W" },
    buyer: { name: "上海某某科技有限公司", taxId: "91310000PMDEM00255" },
    lines: l.map((x) => ({ ...documentLineOf(x), unit: "份" })),
    totals: { ...totals, totalInCapitals: amountInCapitals(totals.totalAmount) },
    drawer: "王会计",
    qrText: invoiceQrText({
      invoiceType: "digital_normal",
      number,
      totalAmount: totals.totalAmount,
      issuedAt,
    }),
    sandbox: true,
  };
}

function html(doc: InvoiceDocument): string {
  const rows = doc.lines
    .map(
      (l) =>
        `<tr><td>${l.itemName}</td><td>${l.unit ?? ""}</td><td>${l.quantity ?? ""}</td><td>${l.unitPrice ?? ""}</td><td>${l.amount}</td><td>${l.taxRateLabel}</td><td>${l.tax}</td></tr>`,
    )
    .join("");
  return `<!doctype html><meta charset="utf-8"><style>body{font-family:"Noto Sans CJK SC",sans-serif;font-size:12px}table{border-collapse:collapse;width:100%}td{border:1px solid #999;padding:2px}</style>
<h1>电子发票（普通发票）</h1><p>发票号码 ${doc.number}</p><p>购买方 ${doc.buyer.name} 销售方 ${doc.seller.name}</p>
<table>${rows}</table><p>价税合计 ${doc.totals.totalInCapitals} ¥${doc.totals.totalAmount}</p>`;
}

async function timeIt(
  n: number,
  fn: () => Promise<number>,
): Promise<{ perSecond: number; p50: number; p99: number; bytes: number }> {
  await fn();
  const samples: number[] = [];
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    bytes = await fn();
    samples.push(performance.now() - t);
  }
  const seconds = (performance.now() - start) / 1000;
  const p = percentiles(samples);
  return { perSecond: n / seconds, p50: p.p50, p99: p.p99, bytes };
}

export default async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 200);
  const rows: string[] = [];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage();
  for (const lines of [5, 200]) {
    const doc = invoice(lines);
    const ours = await timeIt(n, async () => (await renderInvoicePdf(doc)).length);
    const xml = await timeIt(n, async () => Buffer.byteLength(renderInvoiceXml(doc)));
    const chrome = await timeIt(Math.min(n, 50), async () => {
      await page.setContent(html(doc));
      return (await page.pdf({ format: "A4", landscape: true })).length;
    });
    const row = (what: string, r: Awaited<ReturnType<typeof timeIt>>) =>
      `| ${lines} | ${what} | ${round(r.perSecond)} | ${round(r.p50, 2)} | ${round(r.p99, 2)} | ${round(r.bytes / 1024)} |`;
    rows.push(
      row("ours (PdfCanvas + PdfWriter, Noto Sans SC subsets)", ours),
      row("XML (ours)", xml),
      row("Chromium page.pdf() of a plain HTML table", chrome),
    );
  }
  await browser.close();
  const table = [
    "| lines | renderer | renders/s (1 core) | p50 ms | p99 ms | size KiB |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
  process.stdout.write(`${table}\n`);
  writeSection(
    "PDF rendering",
    `Command: \`npm run bench -- pdf ${n}\` (${n} renders each, sequential, after one warm-up).\nMachine: ${machine()}.\n\n${table}\n\nThe Chromium row renders a much simpler page (no QR, no template) and still costs far more: it is the ceiling of the "render HTML to PDF" approach, not a like-for-like layout.`,
  );
}
