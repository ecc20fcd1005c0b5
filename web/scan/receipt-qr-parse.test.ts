import { describe, expect, it } from "vitest";
import { NOT_A_RECEIPT, OTHER_SITE, readReceiptQr } from "./receipt-qr-parse";

describe("a scanned receipt QR for 合并开票", () => {
  const host = "fapiao.example.com";

  it("reads this installation's receipt link, as a link to paste", () => {
    expect(readReceiptQr("https://fapiao.example.com/s/AbC123_-xyz", host)).toEqual({
      value: "https://fapiao.example.com/s/AbC123_-xyz",
    });
    expect(readReceiptQr(" http://FAPIAO.example.com/s/AbC123xyz/?from=qr \n", host)).toEqual({
      value: "http://fapiao.example.com/s/AbC123xyz/?from=qr",
    });
  });

  it("says a receipt of another site is not of this one", () => {
    expect(readReceiptQr("https://other.example.com/s/AbC123xyz", host)).toEqual({ message: OTHER_SITE });
    expect(readReceiptQr("https://fapiao.example.com:8443/s/AbC123xyz", host)).toEqual({
      message: OTHER_SITE,
    });
  });

  it("says anything else is not a receipt QR", () => {
    for (const text of [
      "",
      "ABC123",
      "https://example.com/",
      "https://fapiao.example.com/s/short",
      "https://fapiao.example.com/s/AbC123xyz/more",
      "https://fapiao.example.com/admin/AbC123xyz",
      "javascript:alert(1)//fapiao.example.com/s/AbC123xyz",
      "$01MTIz</>MTIz</>9F3A$",
    ]) {
      expect(readReceiptQr(text, host), text).toEqual({ message: NOT_A_RECEIPT });
    }
  });
});
