/**
 * A small streaming XML tokenizer for machine-written documents (the parts of an .xlsx): fed UTF-8
 * chunks, it reports start tags with their attributes, end tags and text, and keeps nothing but the
 * unfinished tail of the last chunk — so a document is read in memory bounded by its longest tag, not
 * by its size. Element and attribute names lose their namespace prefix (`x:row` → `row`).
 *
 * It is not a validating parser. It refuses what it does not need and what could be abused: a
 * DOCTYPE (no entity definitions are ever expanded), tags longer than `maxTagChars`, text that is not
 * UTF-8. The five predefined entities and numeric character references are decoded.
 */

export interface XmlHandler {
  open(name: string, attributes: Record<string, string>, selfClosing: boolean): void;
  close(name: string): void;
  /** Text between tags, decoded; may arrive in several pieces. */
  text(text: string): void;
}

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlError";
  }
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
/** The longest reference worth waiting for across chunks: `&#x10FFFF;`. */
const LONGEST_REFERENCE = 10;

export class XmlScanner {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private pending = "";

  constructor(
    private readonly handler: XmlHandler,
    private readonly maxTagChars = 64 * 1024,
  ) {}

  write(chunk: Uint8Array): void {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      throw new XmlError("内容不是 UTF-8 编码");
    }
    this.pending += text;
    this.scan(false);
  }

  end(): void {
    try {
      this.pending += this.decoder.decode();
    } catch {
      throw new XmlError("内容不是 UTF-8 编码");
    }
    this.scan(true);
    if (this.pending.trim() !== "") throw new XmlError("XML 不完整");
  }

  private scan(final: boolean): void {
    const s = this.pending;
    let at = 0;
    while (at < s.length) {
      const lt = s.indexOf("<", at);
      if (lt !== at) {
        // Text up to the next tag, or to the end of what we have (holding back a reference that a
        // chunk boundary may have cut in two).
        let stop = lt < 0 ? s.length : lt;
        if (lt < 0 && !final) {
          const amp = s.lastIndexOf("&", stop - 1);
          if (amp >= at && amp > stop - LONGEST_REFERENCE && s.indexOf(";", amp) < 0) stop = amp;
        }
        if (stop > at) this.handler.text(decodeText(s.slice(at, stop)));
        at = stop;
        if (lt < 0) break;
      }
      const end = this.tagEnd(s, lt);
      if (end < 0) break;
      this.tag(s.slice(lt, end + 1));
      at = end + 1;
    }
    this.pending = s.slice(at);
    if (this.pending.length > this.maxTagChars) throw new XmlError("XML 标签过长");
  }

  /** Index of the `>` closing the markup that starts at `lt`, or -1 when it is not all here yet. */
  private tagEnd(s: string, lt: number): number {
    if (s.startsWith("<!--", lt)) {
      const e = s.indexOf("-->", lt + 4);
      return e < 0 ? -1 : e + 2;
    }
    if (s.startsWith("<![CDATA[", lt)) {
      const e = s.indexOf("]]>", lt + 9);
      return e < 0 ? -1 : e + 2;
    }
    if (s.startsWith("<!", lt) && (s.length - lt >= 9 || s.indexOf(">", lt) >= 0))
      throw new XmlError("不支持含 DOCTYPE 或实体声明的 XML");
    if (s.startsWith("<?", lt)) {
      const e = s.indexOf("?>", lt + 2);
      return e < 0 ? -1 : e + 1;
    }
    // A `>` inside a quoted attribute value does not end the tag.
    let quote = "";
    for (let i = lt + 1; i < s.length; i++) {
      const c = s[i];
      if (quote) {
        if (c === quote) quote = "";
      } else if (c === '"' || c === "'") quote = c;
      else if (c === ">") return i;
    }
    return -1;
  }

  private tag(markup: string): void {
    if (markup.startsWith("<!--") || markup.startsWith("<?")) return;
    if (markup.startsWith("<![CDATA[")) {
      this.handler.text(markup.slice(9, -3));
      return;
    }
    if (markup[1] === "/") {
      this.handler.close(localName(markup.slice(2, -1).trim()));
      return;
    }
    const selfClosing = markup.endsWith("/>");
    const end = markup.length - (selfClosing ? 2 : 1);
    let at = 1;
    while (at < end && !isSpace(markup.charCodeAt(at)) && markup[at] !== "/") at++;
    const name = localName(markup.slice(1, at));
    if (!name) throw new XmlError("XML 格式不正确");
    // Attribute names are kept as written: `r:id` (a relationship) is not the same as a plain `id`.
    // A hand-written loop: this runs for every cell of a sheet.
    const attributes: Record<string, string> = {};
    for (;;) {
      while (at < end && isSpace(markup.charCodeAt(at))) at++;
      if (at >= end) break;
      const eq = markup.indexOf("=", at);
      if (eq < 0 || eq >= end) throw new XmlError("XML 格式不正确");
      const key = markup.slice(at, eq).trim();
      at = eq + 1;
      while (at < end && isSpace(markup.charCodeAt(at))) at++;
      const quote = markup[at];
      const close = quote === '"' || quote === "'" ? markup.indexOf(quote, at + 1) : -1;
      if (!key || close < 0 || close >= end) throw new XmlError("XML 格式不正确");
      attributes[key] = decodeText(markup.slice(at + 1, close));
      at = close + 1;
    }
    this.handler.open(name, attributes, selfClosing);
    if (selfClosing) this.handler.close(name);
  }
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(":");
  return colon < 0 ? qualified : qualified.slice(colon + 1);
}

function decodeText(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code =
        ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref] ?? whole;
  });
}
