import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { HttpServer } from "./http";
import { inlineScriptHashes, pagePolicy } from "./security-headers";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const webSourceDir = path.join(root, "web");
export const webBuildDir = path.join(root, "dist/web");

/**
 * Builds the console and the consumer page with Vite when the build is missing or older than its
 * sources, so `npm start` on a fresh clone (or after editing web/) serves current pages.
 */
export async function ensureWebBuilt(log: (msg: string) => void = () => {}): Promise<void> {
  if (!isBuildStale()) return;
  log("building the web pages (vite)…");
  // Vite and the pages' libraries are dev dependencies: an install with --omit=dev (the image)
  // must bring its pages built.
  const { build } = await import("vite").catch(() => {
    throw new Error(
      `the web pages are not built (${webBuildDir}) and Vite is not installed: run npm ci, or npm run build:web where it is`,
    );
  });
  await build({ configFile: path.join(root, "vite.config.ts"), logLevel: "warn" });
}

function isBuildStale(): boolean {
  const built = mtimeOf(path.join(webBuildDir, "admin/index.html"));
  if (built === 0 || mtimeOf(path.join(webBuildDir, "scan/index.html")) === 0) return true;
  // A container image ships the built pages without their sources: nothing to compare with.
  if (!fs.existsSync(webSourceDir)) return false;
  return newestMtime(webSourceDir) > built || mtimeOf(path.join(root, "vite.config.ts")) > built;
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, mtimeOf(path.join(entry.parentPath, entry.name)));
  }
  return newest;
}

/** Serves the built pages: the console under /admin, the consumer page at /s/{token}. */
export async function registerWeb(app: HttpServer): Promise<void> {
  if (!fs.existsSync(path.join(webBuildDir, "admin/index.html"))) {
    throw new Error(`web pages are not built (${webBuildDir}); run npm run build:web`);
  }
  const adminHtml = fs.readFileSync(path.join(webBuildDir, "admin/index.html"));
  const scanHtml = fs.readFileSync(path.join(webBuildDir, "scan/index.html"));

  await app.register(fastifyStatic, {
    root: path.join(webBuildDir, "assets"),
    prefix: "/assets/",
    // File names carry a content hash: cache them forever.
    immutable: true,
    maxAge: "365d",
    index: false,
    wildcard: true,
  });

  // Each page's policy allows exactly its own inline scripts (the consumer page's nomodule notice).
  const sendHtml = (body: Buffer) => {
    const policy = pagePolicy(inlineScriptHashes(body.toString("utf8")));
    return async (_req: FastifyRequest, reply: FastifyReply) =>
      reply
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("content-security-policy", policy)
        .send(body);
  };
  const hidden = { schema: { hide: true } };
  app.get("/", hidden, async (_req, reply) => reply.redirect("/admin/"));
  app.get("/admin", hidden, sendHtml(adminHtml));
  app.get("/admin/*", hidden, sendHtml(adminHtml));
  app.get("/s/:token", hidden, sendHtml(scanHtml));
}
