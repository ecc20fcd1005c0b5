/**
 * `/s` without a token: 输入开票码. A receipt whose QR will not scan (smudged, faded, torn) still
 * has its 6-character 开票码 printed under the QR; typed here, it opens the same page as scanning.
 */
import { ApiError, lookupShortCode } from "./api";
import { h } from "./dom";

export function typedCodeView(go: (token: string) => void) {
  const input = h("input", {
    class: "input typed-code-input",
    type: "text",
    inputmode: "text",
    autocomplete: "off",
    autocapitalize: "characters",
    maxlength: 12,
    placeholder: "例如 K7M 3QX",
    "aria-label": "开票码",
    "data-testid": "short-code-input",
  });
  const error = h("p", {
    class: "notice notice--error",
    role: "alert",
    hidden: true,
    "data-testid": "short-code-error",
  });
  const button = h(
    "button",
    { type: "submit", class: "button button--primary button--block", "data-testid": "short-code-submit" },
    "查看小票并开票",
  );
  const submit = async (event: Event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      const { token } = await lookupShortCode(input.value);
      go(token);
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : "网络异常，请重试";
      error.hidden = false;
      button.disabled = false;
    }
  };
  return h(
    "section",
    { class: "card typed-code", "data-testid": "typed-code" },
    h("h1", { class: "card-title" }, "输入开票码"),
    h(
      "p",
      { class: "merge-hint" },
      "开票码印在小票二维码下方，共 6 位字母和数字。二维码扫不出时，在此输入即可开票。",
    ),
    h("form", { onsubmit: submit }, h("div", { class: "field field--stacked" }, input), error, button),
  );
}
