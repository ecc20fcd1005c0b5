import zlib from "node:zlib";

/**
 * A zip archive read from a buffer already in memory (an upload of a few MB), for formats built on
 * zip such as .xlsx. Nothing is inflated until the central directory has been read and judged: an
 * archive whose declared sizes, entry count or compression ratio exceed the limits is refused before
 * any parser sees it. Declared sizes are not trusted either: an entry is inflated as a stream and
 * stopped as soon as it yields more than it declared (and so more than the limits allow), so a
 * header that lies about a bomb costs a few kilobytes of work, not gigabytes of memory.
 *
 * Only what such files need is supported: stored and deflated entries, no encryption, no ZIP64
 * (no legitimate upload under the size limit needs 4 GB entries), a single disk.
 */

export interface ZipLimits {
  /** Entries in the archive (files and folders). */
  maxEntries: number;
  /** Declared uncompressed size of any one entry. */
  maxEntryBytes: number;
  /** Sum of the declared uncompressed sizes. */
  maxTotalBytes: number;
  /** Uncompressed ÷ compressed, judged for entries declaring more than `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
}

export type ZipProblem =
  | "not_zip"
  | "corrupt"
  | "unsupported"
  | "too_many_entries"
  | "entry_too_large"
  | "total_too_large"
  | "ratio_too_high"
  | "size_mismatch";

/** Why an archive was refused; `message` is for people (Chinese), `problem` for code and tests. */
export class ZipError extends Error {
  constructor(
    readonly problem: ZipProblem,
    message: string,
  ) {
    super(message);
    this.name = "ZipError";
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** Where the compressed bytes start in the archive (after the local header). */
  dataOffset: number;
}

export interface ZipArchive {
  /** Entries by name in lower case (names in OOXML packages are case-insensitive). */
  entries: Map<string, ZipEntry>;
  data: Buffer;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

const corrupt = (what: string) => new ZipError("corrupt", `文件已损坏（${what}）`);

/** Reads and judges the central directory; throws ZipError when the archive is refused. */
export function openZip(data: Buffer, limits: ZipLimits): ZipArchive {
  const eocd = findEndOfCentralDirectory(data);
  if (eocd < 0) throw new ZipError("not_zip", "不是有效的 zip 压缩文件");
  const disk = data.readUInt16LE(eocd + 4);
  const cdDisk = data.readUInt16LE(eocd + 6);
  const entriesOnDisk = data.readUInt16LE(eocd + 8);
  const count = data.readUInt16LE(eocd + 10);
  const cdSize = data.readUInt32LE(eocd + 12);
  const cdOffset = data.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    throw new ZipError("unsupported", "不支持 ZIP64 格式的文件");
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== count)
    throw new ZipError("unsupported", "不支持分卷压缩的文件");
  if (count > limits.maxEntries)
    throw new ZipError("too_many_entries", `压缩包内文件过多（${count} 个，最多 ${limits.maxEntries} 个）`);
  if (cdOffset + cdSize > eocd) throw corrupt("目录位置不正确");

  const entries = new Map<string, ZipEntry>();
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || data.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw corrupt("目录项");
    const flags = data.readUInt16LE(at + 8);
    const method = data.readUInt16LE(at + 10);
    const crc32 = data.readUInt32LE(at + 16);
    const compressedSize = data.readUInt32LE(at + 20);
    const uncompressedSize = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    const localOffset = data.readUInt32LE(at + 42);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > cdOffset + cdSize) throw corrupt("目录项");
    const name = data.toString("utf8", at + 46, at + 46 + nameLength);
    at = next;

    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localOffset === 0xffffffff)
      throw new ZipError("unsupported", "不支持 ZIP64 格式的文件");
    if (flags & 0x1) throw new ZipError("unsupported", "不支持加密的文件");
    if (method !== 0 && method !== 8)
      throw new ZipError("unsupported", `不支持的压缩方式（${method}），请用 Excel 重新保存`);
    if (uncompressedSize > limits.maxEntryBytes)
      throw new ZipError(
        "entry_too_large",
        `压缩包内的 ${name} 解压后过大（声明 ${megabytes(uncompressedSize)}，最多 ${megabytes(limits.maxEntryBytes)}）`,
      );
    total += uncompressedSize;
    if (total > limits.maxTotalBytes)
      throw new ZipError("total_too_large", `文件解压后总大小超过 ${megabytes(limits.maxTotalBytes)}`);
    if (method === 0 && compressedSize !== uncompressedSize) throw corrupt("存储项大小不一致");
    if (uncompressedSize > limits.ratioFloorBytes && uncompressedSize > compressedSize * limits.maxRatio)
      throw new ZipError("ratio_too_high", `压缩包内的 ${name} 压缩比异常（疑似压缩炸弹），已拒绝`);

    const dataOffset = localDataOffset(data, localOffset, cdOffset);
    if (dataOffset + compressedSize > cdOffset) throw corrupt("数据越界");
    entries.set(name.toLowerCase(), { name, method, compressedSize, uncompressedSize, crc32, dataOffset });
  }
  return { entries, data };
}

/**
 * The entry's bytes as a stream of chunks, inflated under a hard cap: the declared size. An entry
 * that inflates to more than it declared (a lying header) or to less (a truncated one) is refused.
 */
export async function* readZipEntry(archive: ZipArchive, entry: ZipEntry): AsyncGenerator<Buffer> {
  const compressed = archive.data.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let produced = 0;
  let crc = 0;
  if (entry.method === 0) {
    produced = compressed.length;
    crc = zlib.crc32(compressed);
    yield compressed;
  } else {
    const inflater = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
    inflater.end(compressed);
    try {
      for await (const chunk of inflater as AsyncIterable<Buffer>) {
        produced += chunk.length;
        if (produced > entry.uncompressedSize)
          throw new ZipError(
            "size_mismatch",
            `压缩包内的 ${entry.name} 实际解压大小超过其声明（疑似压缩炸弹），已拒绝`,
          );
        crc = zlib.crc32(chunk, crc);
        yield chunk;
      }
    } catch (e) {
      if (e instanceof ZipError) throw e;
      throw corrupt(`无法解压 ${entry.name}`);
    } finally {
      // Stops inflating at once when the reader leaves early (a refusal, or enough rows read).
      inflater.destroy();
    }
  }
  if (produced !== entry.uncompressedSize) throw corrupt(`${entry.name} 的大小与声明不符`);
  if (crc !== entry.crc32) throw corrupt(`${entry.name} 校验失败`);
}

function findEndOfCentralDirectory(data: Buffer): number {
  const lowest = Math.max(0, data.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = data.length - EOCD_SIZE; at >= lowest; at--) {
    if (
      data.readUInt32LE(at) === EOCD_SIGNATURE &&
      at + EOCD_SIZE + data.readUInt16LE(at + 20) === data.length
    )
      return at;
  }
  return -1;
}

function localDataOffset(data: Buffer, offset: number, limit: number): number {
  if (offset + 30 > limit || data.readUInt32LE(offset) !== LOCAL_SIGNATURE) throw corrupt("文件头");
  return offset + 30 + data.readUInt16LE(offset + 26) + data.readUInt16LE(offset + 28);
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}
