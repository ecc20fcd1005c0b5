import zlib from "node:zlib";

/**
 * Zip archives made byte by byte for tests of the import limits: honest ones (an .xlsx package made
 * of hand-written parts) and lying ones — a central directory that declares sizes, methods or flags
 * other than what the data holds.
 */

export interface ZipFileSpec {
  name: string;
  /** The entry's content (ignored when `compressed` is given). */
  data?: Buffer | string;
  /** 8 (deflate, the default) or 0 (stored). */
  method?: number;
  /** Bytes stored as the entry's data, instead of compressing `data`. */
  compressed?: Buffer;
  /** What the headers declare, instead of the truth. */
  declaredSize?: number;
  declaredCompressedSize?: number;
  flags?: number;
}

export function buildZip(files: ZipFileSpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const content = Buffer.from(file.data ?? "");
    const method = file.method ?? 8;
    const stored = file.compressed ?? (method === 8 ? zlib.deflateRawSync(content) : content);
    const name = Buffer.from(file.name);
    const crc = zlib.crc32(content);
    const size = file.declaredSize ?? content.length;
    const compressedSize = file.declaredCompressedSize ?? stored.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(file.flags ?? 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressedSize, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(file.flags ?? 0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressedSize, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/**
 * An .xlsx package around one worksheet's XML (`<sheetData>` content is up to the caller), with a
 * shared-string table when given. `sheet` may replace the sheet entry (e.g. with a lying one).
 */
export function buildXlsx(options: {
  sheetData?: string;
  sharedStrings?: string[];
  sheet?: Partial<ZipFileSpec>;
  extra?: ZipFileSpec[];
}): Buffer {
  const rels = [
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>',
    options.sharedStrings
      ? '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/>'
      : "",
  ].join("");
  const files: ZipFileSpec[] = [
    {
      name: "_rels/.rels",
      data: `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    },
    {
      name: "xl/workbook.xml",
      data: `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="开票项" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    },
    {
      name: "xl/_rels/workbook.xml.rels",
      data: `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels}</Relationships>`,
    },
    {
      name: "xl/worksheets/sheet1.xml",
      data: `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${options.sheetData ?? ""}</sheetData></worksheet>`,
      ...options.sheet,
    },
  ];
  if (options.sharedStrings)
    files.push({
      name: "xl/sharedStrings.xml",
      data: `${XML}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${options.sharedStrings.length}">${options.sharedStrings.map((s) => `<si>${s}</si>`).join("")}</sst>`,
    });
  return buildZip([...files, ...(options.extra ?? [])]);
}

/** `<row>` XML of inline-string cells, one row per array, column A first. */
export function inlineRows(rows: string[][], firstRow = 1): string {
  const xmlText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return rows
    .map(
      (cells, r) =>
        `<row r="${firstRow + r}">${cells.map((c) => `<c t="inlineStr"><is><t>${xmlText(c)}</t></is></c>`).join("")}</row>`,
    )
    .join("");
}
