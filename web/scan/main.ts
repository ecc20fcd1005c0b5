// The consumer page behind the QR. It reads the receipt code's token from /s/{token}; the
// invoicing form arrives with the consumer issue.
const token = location.pathname.split("/").filter(Boolean)[1] ?? "";
const app = document.getElementById("app");
if (app) {
  const p = document.createElement("p");
  p.textContent = token ? "正在加载小票信息…" : "二维码无效";
  app.append(p);
}
