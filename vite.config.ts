import path from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Two pages, built together into dist/web: the operator console (React + antd) and the consumer
// page behind the QR (no framework: its first load on a phone is a performance target).
export default defineConfig({
  root: path.resolve(import.meta.dirname, "web"),
  base: "/",
  plugins: [react()],
  build: {
    outDir: path.resolve(import.meta.dirname, "dist/web"),
    emptyOutDir: true,
    // The consumer page opens in WeChat's and Alipay's in-app browsers and on older phones
    // (iOS 13 WebKit, Chromium 80 based WebViews); syntax is lowered to what they understand.
    target: ["es2019", "chrome80", "safari13"],
    rollupOptions: {
      input: {
        admin: path.resolve(import.meta.dirname, "web/admin/index.html"),
        scan: path.resolve(import.meta.dirname, "web/scan/index.html"),
      },
    },
  },
  server: { proxy: { "/api": "http://127.0.0.1:3000", "/open": "http://127.0.0.1:3000" } },
});
