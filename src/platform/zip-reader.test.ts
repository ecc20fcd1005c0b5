import crypto from "node:crypto";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildZip } from "../../test/support/zip";
import { openZip, readZipEntry, type ZipError, type ZipLimits } from "./zip-reader";

const limits: ZipLimits = {
  maxEntries: 10,
  maxEntryBytes: 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 64 * 1024,
};
const MiB = 1024 * 1024;

function refusal(fn: () => unknown): ZipError {
  try {
    fn();
  } catch (e) {
    return e as ZipError;
  }
  throw new Error("expected a refusal");
}

async function readAll(zip: Buffer, name: string): Promise<{ bytes: number; text: string }> {
  const archive = openZip(zip, limits);
  const chunks: Buffer[] = [];
  for await (const chunk of readZipEntry(archive, archive.entries.get(name)!)) chunks.push(chunk);
  const all = Buffer.concat(chunks);
  return { bytes: all.length, text: all.toString() };
}

describe("zip archives", () => {
  it("reads stored and deflated entries, names looked up in lower case", async () => {
    const zip = buildZip([
      { name: "A/Stored.txt", data: "stored text", method: 0 },
      { name: "deflated.xml", data: "<x>".repeat(1000) },
    ]);
    expect([...openZip(zip, limits).entries.keys()]).toEqual(["a/stored.txt", "deflated.xml"]);
    await expect(readAll(zip, "a/stored.txt")).resolves.toMatchObject({ text: "stored text" });
    await expect(readAll(zip, "deflated.xml")).resolves.toMatchObject({ bytes: 3000 });
  });

  // Tiny archives whose central directory declares what no upload of a few MB should expand to:
  // refused from the directory alone, before a byte is inflated.
  it.each([
    [
      "an entry declaring 4 GB",
      [{ name: "xl/worksheets/sheet1.xml", data: "<a/>", declaredSize: 0xfffffffe }],
      "entry_too_large",
    ],
    [
      "an entry just over the entry limit",
      [{ name: "s.xml", data: "<a/>", declaredSize: MiB + 1 }],
      "entry_too_large",
    ],
    [
      "entries adding up to more than the total",
      // Incompressible data keeps each entry's ratio under the limit.
      [0, 1, 2].map((i) => ({ name: `s${i}.xml`, data: crypto.randomBytes(20_000), declaredSize: MiB })),
      "total_too_large",
    ],
    ["a ratio above 100:1", [{ name: "s.xml", data: "<a/>", declaredSize: 512 * 1024 }], "ratio_too_high"],
    [
      "more entries than allowed",
      Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: "" })),
      "too_many_entries",
    ],
    ["ZIP64 size markers", [{ name: "s.xml", data: "<a/>", declaredSize: 0xffffffff }], "unsupported"],
    ["an encrypted entry", [{ name: "s.xml", data: "<a/>", flags: 1 }], "unsupported"],
    [
      "an unknown method",
      [{ name: "s.xml", data: "<a/>", method: 12, compressed: Buffer.from("<a/>") }],
      "unsupported",
    ],
  ])("refuses %s from the directory alone", (_, files, problem) => {
    expect(refusal(() => openZip(buildZip(files), limits)).problem).toBe(problem);
  });

  it("refuses what is not a zip, and a directory pointing outside the file", () => {
    expect(refusal(() => openZip(Buffer.from("编码,名称\n"), limits)).problem).toBe("not_zip");
    const zip = buildZip([{ name: "a.xml", data: "<a/>" }]);
    zip.writeUInt32LE(zip.length, zip.length - 6); // the directory's offset, past the end
    expect(refusal(() => openZip(zip, limits)).problem).toBe("corrupt");
  });

  it("stops a real bomb whose header lies about its size after inflating little more than it declared", async () => {
    // 16 MiB of spaces deflate to about 16 KB; the header declares 20 KB, a harmless ratio.
    const bomb = zlib.deflateRawSync(Buffer.alloc(16 * MiB, 0x20), { level: 9 });
    const zip = buildZip([{ name: "sheet.xml", compressed: bomb, declaredSize: 20_000 }]);
    const archive = openZip(zip, limits);
    let seen = 0;
    const reading = (async () => {
      for await (const chunk of readZipEntry(archive, archive.entries.get("sheet.xml")!))
        seen += chunk.length;
    })();
    await expect(reading).rejects.toMatchObject({ problem: "size_mismatch" });
    expect(seen).toBeLessThanOrEqual(20_000);
  });

  it("refuses an entry that inflates to less than declared, or whose checksum differs", async () => {
    const short = buildZip([{ name: "a.xml", compressed: zlib.deflateRawSync("<a/>"), declaredSize: 100 }]);
    await expect(readAll(short, "a.xml")).rejects.toMatchObject({ problem: "corrupt" });
    const tampered = buildZip([{ name: "a.xml", data: "<a/>", method: 0 }]);
    tampered.write("<b", 30 + "a.xml".length); // same length, different bytes
    await expect(readAll(tampered, "a.xml")).rejects.toMatchObject({ problem: "corrupt" });
  });
});
