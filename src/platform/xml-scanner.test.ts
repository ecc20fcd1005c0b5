import { describe, expect, it } from "vitest";
import { XmlScanner } from "./xml-scanner";

/** Everything the scanner reports, as one list (adjacent text pieces joined). */
function events(chunks: Uint8Array[], maxTagChars?: number): string[] {
  const out: string[] = [];
  const scanner = new XmlScanner(
    {
      open: (name, attributes, selfClosing) =>
        out.push(`<${name}${JSON.stringify(attributes)}${selfClosing ? "/" : ""}>`),
      close: (name) => out.push(`</${name}>`),
      text: (text) => {
        const last = out.length - 1;
        if (out[last]?.startsWith("text:")) out[last] += text;
        else out.push(`text:${text}`);
      },
    },
    maxTagChars,
  );
  for (const chunk of chunks) scanner.write(chunk);
  scanner.end();
  return out;
}

const DOC =
  '<?xml version="1.0"?>\n<!-- a comment with <tags> -->' +
  '<x:sheet xmlns:x="urn:x"><row r="1" spans=\'1:2\'><c r="A1" t="s"><v>0</v></c>' +
  '<c r="B1" t="inlineStr"><is><t>税 &amp; 费 &lt;&#x4E2D;&#25991;&gt; "引" a&gt;b</t></is></c></row>' +
  '<row r="2"/><f><![CDATA[1<2 & 3]]></f><x:v attr="a>b">&unknown;</x:v></x:sheet>';

describe("XmlScanner", () => {
  it("reports tags without their prefix, attributes, decoded text, CDATA as text, self-closing tags", () => {
    expect(events([Buffer.from(DOC)])).toEqual([
      "text:\n",
      '<sheet{"xmlns:x":"urn:x"}>',
      '<row{"r":"1","spans":"1:2"}>',
      '<c{"r":"A1","t":"s"}>',
      "<v{}>",
      "text:0",
      "</v>",
      "</c>",
      '<c{"r":"B1","t":"inlineStr"}>',
      "<is{}>",
      "<t{}>",
      'text:税 & 费 <中文> "引" a>b',
      "</t>",
      "</is>",
      "</c>",
      "</row>",
      '<row{"r":"2"}/>',
      "</row>",
      "<f{}>",
      "text:1<2 & 3",
      "</f>",
      '<v{"attr":"a>b"}>',
      "text:&unknown;",
      "</v>",
      "</sheet>",
    ]);
  });

  it("gives the same events however the bytes are cut (inside tags, references, UTF-8 characters)", () => {
    const bytes = Buffer.from(DOC);
    const whole = events([bytes]);
    for (let size = 1; size <= 7; size++) {
      const chunks = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      expect(events(chunks)).toEqual(whole);
    }
  });

  it("refuses a DOCTYPE (no entity is ever defined or expanded)", () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>';
    expect(() => events([Buffer.from(bomb)])).toThrow(/DOCTYPE/);
  });

  it("refuses a tag longer than allowed, holding no more of it than that", () => {
    const long = Buffer.from(`<row r="${"1".repeat(200)}">`);
    expect(() => events([long.subarray(0, 120), long.subarray(120)], 100)).toThrow(/标签过长/);
  });

  it("refuses text that is not UTF-8, a document cut off in a tag, and attributes without quoted values", () => {
    expect(() => events([Buffer.from([0x3c, 0x61, 0x3e, 0xb1, 0xe0, 0x3c, 0x2f, 0x61, 0x3e])])).toThrow(
      /UTF-8/,
    );
    expect(() => events([Buffer.from('<a><b c="1"')])).toThrow(/不完整/);
    expect(() => events([Buffer.from("<a b=1></a>")])).toThrow(/格式不正确/);
    expect(() => events([Buffer.from('<a b="1" c></a>')])).toThrow(/格式不正确/);
  });
});
