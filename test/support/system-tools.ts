import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, it } from "vitest";

/**
 * Tests that check files with real programs (poppler's pdftotext and pdftoppm, zbar's zbarimg,
 * libxml2's xmllint). A missing program skips those tests on a developer's machine, and fails them
 * with a message naming the Debian package when `CI=true`, so that CI can never pass by skipping.
 *
 *   describeWithTools(["pdftotext"], "invoice PDF text", () => { it(...) });
 *   const text = await pdfToText(pdf, { layout: true });
 */

const DEBIAN_PACKAGES: Record<string, string> = {
  pdftotext: "poppler-utils",
  pdftoppm: "poppler-utils",
  pdffonts: "poppler-utils",
  pdfinfo: "poppler-utils",
  zbarimg: "zbar-tools",
  xmllint: "libxml2-utils",
  unzip: "unzip",
};

const found = new Map<string, string | undefined>();

/**
 * Whether a language runtime answers (`python3 --version`, `java -version`), for tests of the
 * guide's helpers in other languages. Under CI=true it must: the test fails rather than skip.
 */
export async function hasRuntime(command: string, args: readonly string[]): Promise<boolean> {
  const answered = await new Promise<boolean>((resolve) =>
    execFile(command, [...args], (error) => resolve(!error)),
  );
  if (!answered && process.env.CI === "true") throw new Error(`${command} is required under CI=true`);
  return answered;
}

/** Absolute path of an executable on PATH, or undefined. */
export function findSystemTool(name: string): string | undefined {
  if (!found.has(name)) {
    let path: string | undefined;
    for (const dir of (process.env.PATH ?? "").split(delimiter)) {
      if (!dir) continue;
      try {
        accessSync(join(dir, name), constants.X_OK);
        path = join(dir, name);
        break;
      } catch {
        // not in this directory
      }
    }
    found.set(name, path);
  }
  return found.get(name);
}

function missingMessage(missing: string[]): string {
  const described = missing.map((name) => {
    const pkg = DEBIAN_PACKAGES[name];
    return pkg ? `${name} (Debian/Ubuntu: apt-get install ${pkg})` : name;
  });
  return `system tool(s) not found on PATH: ${described.join(", ")}`;
}

/**
 * A describe block whose tests need the given programs: run when they are all present, skipped when
 * one is missing, or — with CI=true — replaced by one failing test that says what to install.
 */
export function describeWithTools(tools: readonly string[], title: string, body: () => void): void {
  const missing = tools.filter((tool) => !findSystemTool(tool));
  if (missing.length === 0) {
    describe(title, body);
  } else if (process.env.CI === "true") {
    describe(title, () => {
      it("has the system tools it needs", () => {
        throw new Error(`${title}: ${missingMessage(missing)}`);
      });
    });
  } else {
    describe.skip(`${title} (skipped: ${missingMessage(missing)})`, body);
  }
}

/** Same rule as describeWithTools, for a single test. */
export function itWithTools(
  tools: readonly string[],
  title: string,
  fn: () => unknown | Promise<unknown>,
  timeout?: number,
): void {
  const missing = tools.filter((tool) => !findSystemTool(tool));
  if (missing.length === 0) {
    it(title, fn, timeout);
  } else if (process.env.CI === "true") {
    it(title, () => {
      throw new Error(`${title}: ${missingMessage(missing)}`);
    });
  } else {
    it.skip(`${title} (skipped: ${missingMessage(missing)})`, fn);
  }
}

export interface ToolResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/**
 * Runs a program with optional standard input and resolves with its output and exit code (a nonzero
 * exit is not an error here; callers decide). Throws a clear error when the program is missing.
 */
export function runTool(name: string, args: readonly string[], input?: Buffer | string): Promise<ToolResult> {
  const path = findSystemTool(name);
  if (!path) return Promise.reject(new Error(missingMessage([name])));
  return new Promise((resolve, reject) => {
    const child = execFile(
      path,
      [...args],
      { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error && typeof error.code === "number" ? error.code : error ? -1 : 0;
        if (error && exitCode === -1) {
          reject(new Error(`${name} ${args.join(" ")} failed: ${error.message}`));
          return;
        }
        resolve({ stdout, stderr: stderr.toString("utf8"), exitCode });
      },
    );
    // A program that exits without reading its input (unzip -t) closes the pipe first: EPIPE here
    // is not a failure of the program, whose exit code and output still decide.
    child.stdin?.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") reject(err);
    });
    child.stdin?.end(input ?? "");
  });
}

/** Like runTool, but a nonzero exit throws with the program's error output. */
export async function runToolOk(
  name: string,
  args: readonly string[],
  input?: Buffer | string,
): Promise<Buffer> {
  const result = await runTool(name, args, input);
  if (result.exitCode !== 0) {
    throw new Error(`${name} ${args.join(" ")} exited with ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** The text of a PDF as pdftotext extracts it: reading order by default, or `layout: true` for -layout. */
export async function pdfToText(pdf: Buffer, options: { layout?: boolean } = {}): Promise<string> {
  const args = [...(options.layout ? ["-layout"] : []), "-enc", "UTF-8", "-", "-"];
  return (await runToolOk("pdftotext", args, pdf)).toString("utf8");
}

/**
 * Rasterizes every page of a PDF with pdftoppm into a fresh temporary folder. Call `cleanup()` when
 * done (in a finally block).
 */
export async function pdfToPngs(
  pdf: Buffer,
  options: { dpi?: number } = {},
): Promise<{ files: string[]; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "piaoma-pdf-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await runToolOk("pdftoppm", ["-r", String(options.dpi ?? 150), "-png", "-", join(dir, "page")], pdf);
    const files = (await readdir(dir))
      .filter((file) => file.endsWith(".png"))
      .sort()
      .map((file) => join(dir, file));
    return { files, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Decodes the QR codes in an image with zbarimg; an image without any gives an empty list. */
export async function decodeQrCodes(imagePath: string): Promise<string[]> {
  const result = await runTool("zbarimg", [
    "--nodbus",
    "--quiet",
    "--raw",
    "-Sdisable",
    "-Sqrcode.enable",
    imagePath,
  ]);
  // zbarimg exits with 4 when it found no symbol.
  if (result.exitCode === 4) return [];
  if (result.exitCode !== 0)
    throw new Error(`zbarimg exited with ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout
    .toString("utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

export interface PdfWord {
  page: number;
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

/** Every word pdftotext finds, with its box in points from the page's top-left corner. */
export async function pdfWords(pdf: Buffer): Promise<PdfWord[]> {
  const html = (await runToolOk("pdftotext", ["-bbox", "-enc", "UTF-8", "-", "-"], pdf)).toString("utf8");
  const words: PdfWord[] = [];
  let page = 0;
  const pattern =
    /<page\b|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (const match of html.matchAll(pattern)) {
    if (match[0] === "<page") {
      page++;
      continue;
    }
    const unescaped = match[5]!
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, "&");
    words.push({
      page,
      text: unescaped,
      xMin: Number(match[1]),
      yMin: Number(match[2]),
      xMax: Number(match[3]),
      yMax: Number(match[4]),
    });
  }
  return words;
}
