import http from "node:http";

/** A callback the stand-in sent, and what the receiver answered. */
export interface SentCallback {
  url: string;
  orderNo: string;
  status: string;
  answer: string;
}

/**
 * Sends a result callback form (CHANNELS.md §1.10) until the receiver answers status 0000, at most
 * `attempts` times, each attempt recorded in `sent`.
 */
export async function sendCallback(
  sent: SentCallback[],
  url: string,
  form: string,
  attempts = 4,
): Promise<void> {
  const fields = new URLSearchParams(form);
  const orderNo = fields.get("orderno") ?? "";
  const status = (JSON.parse(fields.get("content") ?? "{}") as { c_status?: string }).c_status ?? "";
  for (let i = 0; i < attempts; i++) {
    const answer = await postForm(url, form).catch((e: Error) => `ERROR ${e.message}`);
    sent.push({ url, orderNo, status, answer });
    if (/"status"\s*:\s*"0000"/.test(answer)) return;
    // Real 诺诺 retries 3 times a minute apart; the stand-in a second apart (wall time).
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function postForm(url: string, form: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end(form);
  });
}
