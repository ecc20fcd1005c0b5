import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { itWithTools, runToolOk } from "../../test/support/system-tools";
import { openZip, readZipEntry, type ZipLimits } from "./zip-reader";
import { writeZip } from "./zip-writer";

const limits: ZipLimits = {
  maxEntries: 100,
  maxEntryBytes: 8 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 64 * 1024,
};

async function read(zip: Buffer): Promise<Map<string, Buffer>> {
  const archive = openZip(zip, limits);
  const out = new Map<string, Buffer>();
  for (const entry of archive.entries.values()) {
    const chunks: Buffer[] = [];
    for await (const chunk of readZipEntry(archive, entry)) chunks.push(chunk);
    out.set(entry.name, Buffer.concat(chunks));
  }
  return out;
}

describe("zip writer", () => {
  it("writes stored entries that the reader reads back byte for byte, Chinese names included", async () => {
    const pdf = crypto.randomBytes(50_000);
    const files = [
      { name: "发票-24440000000000000001.pdf", data: pdf },
      { name: "说明.txt", data: Buffer.from("共 2 张\n") },
      { name: "empty.bin", data: Buffer.alloc(0) },
    ];
    const back = await read(writeZip(files));
    expect([...back.keys()]).toEqual(files.map((f) => f.name));
    for (const f of files) expect(back.get(f.name)?.equals(f.data)).toBe(true);
  });

  it("marks names as UTF-8 and stores (method 0) with the right sizes and CRC", () => {
    const data = Buffer.from("hello");
    const zip = writeZip([{ name: "票.txt", data, modifiedAt: new Date("2026-12-04T02:03:04Z") }]);
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    expect(zip.readUInt16LE(6) & 0x0800).toBe(0x0800);
    const entry = openZip(zip, limits).entries.get("票.txt")!;
    expect(entry).toMatchObject({ method: 0, compressedSize: 5, uncompressedSize: 5 });
    // 10:03:04 China time on 2026-12-04 in MS-DOS fields.
    expect(zip.readUInt16LE(10)).toBe((10 << 11) | (3 << 5) | 2);
    expect(zip.readUInt16LE(12)).toBe(((2026 - 1980) << 9) | (12 << 5) | 4);
  });

  itWithTools(["unzip"], "passes the system's unzip -t (headers, sizes and CRCs)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zipw-"));
    try {
      const file = path.join(dir, "a.zip");
      const data = crypto.randomBytes(10_000);
      fs.writeFileSync(
        file,
        writeZip([
          { name: "a/one.pdf", data },
          { name: "two.txt", data: Buffer.from("2") },
        ]),
      );
      const out = (await runToolOk("unzip", ["-t", file])).toString("utf8");
      expect(out).toMatch(/testing: a\/one\.pdf\s+OK/);
      expect(out).toContain("No errors detected");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses unsafe and duplicate names", () => {
    expect(() => writeZip([{ name: "../x", data: Buffer.alloc(1) }])).toThrow(/unsafe/);
    expect(() => writeZip([{ name: "/x", data: Buffer.alloc(1) }])).toThrow(/unsafe/);
    const twice = [
      { name: "a", data: Buffer.alloc(1) },
      { name: "a", data: Buffer.alloc(1) },
    ];
    expect(() => writeZip(twice)).toThrow(/duplicate/);
  });
});
