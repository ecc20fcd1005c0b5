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
    rollupOptions: {
      input: {
        admin: path.resolve(import.meta.dirname, "web/admin/index.html"),
        scan: path.resolve(import.meta.dirname, "web/scan/index.html"),
      },
    },
  },
  server: { proxy: { "/api": "http://127.0.0.1:3000", "/open": "http://127.0.0.1:3000" } },
});
