import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirLockedError, lockDataDir } from "./data-dir-lock";

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-lock-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("lockDataDir", () => {
  it("lets one holder in and refuses a second with a message naming the folder and pid", () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    try {
      lockDataDir(dir);
    } catch (e) {
      expect((e as Error).message).toContain(dir);
      expect((e as Error).message).toContain(`pid ${process.pid}`);
    }
    lock.release();
    lockDataDir(dir).release();
  });

  it("refuses while another live process holds it", async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    try {
      fs.writeFileSync(path.join(dir, "piaoma.lock"), String(child.pid));
      expect(() => lockDataDir(dir)).toThrow(new RegExp(`pid ${child.pid}`));
    } finally {
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    }
    // Its process is gone now: the lock is stale and is taken over.
    const lock = lockDataDir(dir);
    expect(fs.readFileSync(path.join(dir, "piaoma.lock"), "utf8")).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(path.join(dir, "piaoma.lock"))).toBe(false);
  });

  it("takes over a lock naming its own pid that it does not hold (a restarted container)", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "piaoma.lock"), String(process.pid));
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    lock.release();
  });
});
