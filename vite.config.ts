import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const outDir = path.resolve(import.meta.dirname, "dist/web");

/**
 * Writes a brotli (`.br`) and a gzip (`.gz`) copy next to every built script, style sheet and SVG, so
 * the server sends compressed bytes without compressing per request (@fastify/static `preCompressed`
 * picks the copy the browser accepts). Brotli at its best level is about 13% smaller than gzip -9 on
 * the consumer page's script (BENCHMARKS.md); gzip stays for browsers that do not offer `br`.
 */
function precompress(): Plugin {
  // The build's own output folder (the image build passes --outDir), not always dist/web.
  let built = outDir;
  return {
    name: "piaoma-precompress",
    apply: "build",
    configResolved(config) {
      built = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const dir = path.join(built, "assets");
      if (!fs.existsSync(dir)) return;
      for (const name of fs.readdirSync(dir)) {
        if (!/\.(js|css|svg|json)$/.test(name)) continue;
        const file = path.join(dir, name);
        const bytes = fs.readFileSync(file);
        if (bytes.length < 1024) continue;
        // The console's largest chunks take seconds at level 11 for a few percent; 9 is near enough.
        const quality = bytes.length > 256 * 1024 ? 9 : 11;
        const br = zlib.brotliCompressSync(bytes, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
          },
        });
        fs.writeFileSync(`${file}.br`, br);
        fs.writeFileSync(`${file}.gz`, zlib.gzipSync(bytes, { level: 9 }));
      }
    },
  };
}

/**
 * Records how the pages were built (dist/web/build.json): the server rebuilds a build that was not
 * made for production (src/platform/web.ts), e.g. one made under NODE_ENV=test, whose React is the
 * development one — several times larger and slower.
 */
function buildInfo(): Plugin {
  let production = false;
  let built = outDir;
  return {
    name: "piaoma-build-info",
    apply: "build",
    configResolved(config) {
      production = config.isProduction;
      built = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      fs.writeFileSync(path.join(built, "build.json"), `${JSON.stringify({ production })}\n`);
    },
  };
}

// Three pages, built together into dist/web: the operator console (React + antd) and the consumer
// page behind the QR (no framework: its first load on a phone is a performance target), and 我的发票
// beside it (the same light code).
export default defineConfig({
  root: path.resolve(import.meta.dirname, "web"),
  base: "/",
  plugins: [react(), precompress(), buildInfo()],
  build: {
    outDir,
    emptyOutDir: true,
    // The consumer page opens in WeChat's and Alipay's in-app browsers and on older phones
    // (iOS 13 WebKit, Chromium 80 based WebViews); syntax is lowered to what they understand.
    target: ["es2019", "chrome80", "safari13"],
    // No polyfill for <link rel="modulepreload">: it is one more request on the consumer page's first
    // load; browsers without modulepreload (Safari before 17) still load the shared chunk, one round
    // trip later.
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        admin: path.resolve(import.meta.dirname, "web/admin/index.html"),
        scan: path.resolve(import.meta.dirname, "web/scan/index.html"),
        // 我的发票 (/my): the consumer's invoices by mobile number or e-mail, in the consumer page's style.
        my: path.resolve(import.meta.dirname, "web/my/index.html"),
      },
    },
  },
  server: { proxy: { "/api": "http://127.0.0.1:3000", "/open": "http://127.0.0.1:3000" } },
});
