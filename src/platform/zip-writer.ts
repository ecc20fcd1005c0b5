import zlib from "node:zlib";

/**
 * A zip archive written in memory from files already in memory (a batch of invoice PDFs, a few MB):
 * entries stored, not compressed — PDFs are compressed already — with UTF-8 names (flag bit 11), so
 * Chinese file names read right in Windows Explorer, macOS and unzip. No ZIP64: an archive over
 * 4 GB or 65 535 entries is refused, which no bounded batch comes near.
 */

export interface ZipFile {
  name: string;
  data: Buffer;
  /** Shown as the file's time when unpacked; now by default. */
  modifiedAt?: Date;
}

const UTF8_NAMES = 0x0800;
const VERSION = 20;
const MAX_32 = 0xffffffff;

/** The MS-DOS time and date fields (local time of the machine unpacking is not known: China time). */
function dosDateTime(at: Date): { time: number; date: number } {
  const china = new Date(at.getTime() + 8 * 3600_000);
  const year = Math.max(1980, china.getUTCFullYear());
  return {
    time: (china.getUTCHours() << 11) | (china.getUTCMinutes() << 5) | Math.floor(china.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((china.getUTCMonth() + 1) << 5) | china.getUTCDate(),
  };
}

export function writeZip(files: readonly ZipFile[]): Buffer {
  if (files.length > 0xffff) throw new RangeError("zip: too many entries");
  const names = new Set<string>();
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    if (!file.name || file.name.startsWith("/") || file.name.split("/").includes(".."))
      throw new RangeError(`zip: unsafe entry name ${JSON.stringify(file.name)}`);
    if (names.has(file.name)) throw new RangeError(`zip: duplicate entry ${file.name}`);
    names.add(file.name);
    const name = Buffer.from(file.name, "utf8");
    const crc = zlib.crc32(file.data);
    const size = file.data.length;
    const { time, date } = dosDateTime(file.modifiedAt ?? new Date());

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(VERSION, 4);
    central.writeUInt16LE(VERSION, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(size, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);

    parts.push(local, name, file.data);
    centrals.push(central, name);
    offset += local.length + name.length + size;
    if (offset > MAX_32) throw new RangeError("zip: archive over 4 GB");
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
