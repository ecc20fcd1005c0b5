import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchChannelFile, fileHostsOf, fileUrlProblem } from "./channel-files";

let server: http.Server;
let base = "";

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/ok.pdf") res.end("%PDF ok");
    else if (req.url === "/moved.pdf") {
      res.writeHead(302, { location: "http://elsewhere.example/x.pdf" });
      res.end();
    } else if (req.url === "/big.pdf") res.end(Buffer.alloc(2048, 1));
    else if (req.url === "/slow.pdf") setTimeout(() => res.end("late"), 2000);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const get = (path: string, options: Partial<Parameters<typeof fetchChannelFile>[1]> = {}) =>
  fetchChannelFile(
    { kind: "pdf", url: `${base}${path}` },
    { allowedHosts: ["127.0.0.1"], allowPrivate: true, ...options },
  );

describe("fetching a channel's own files", () => {
  it("takes the setting, else the known hosts plus the API URL's host; a leading dot allows subdomains", () => {
    expect(fileHostsOf("a.example.com, B.example.com", [".nuonuo.com"], ["https://api.x.cn/s"])).toEqual([
      "a.example.com",
      "b.example.com",
    ]);
    expect(fileHostsOf(undefined, [".nuonuo.com"], ["https://sdk.nuonuo.com/open/v1/services"])).toEqual([
      ".nuonuo.com",
      "sdk.nuonuo.com",
    ]);
    expect(fileUrlProblem("https://inv.nuonuo.com/a.pdf", [".nuonuo.com"])).toBeNull();
    expect(fileUrlProblem("https://nuonuo.com.evil.example/a.pdf", [".nuonuo.com"])).toMatch(/不在允许/);
    expect(fileUrlProblem("ftp://inv.nuonuo.com/a.pdf", [".nuonuo.com"])).toMatch(/http/);
  });

  it("downloads from an allowed host, and refuses other hosts, redirects, files over the cap and late answers", async () => {
    expect((await get("/ok.pdf")).toString()).toBe("%PDF ok");
    await expect(get("/ok.pdf", { allowedHosts: ["files.example.com"] })).rejects.toThrow(/不在允许/);
    await expect(get("/moved.pdf")).rejects.toThrow(/重定向/);
    await expect(get("/big.pdf", { maxBytes: 1024 })).rejects.toThrow(/超过/);
    await expect(get("/slow.pdf", { timeoutMs: 200 })).rejects.toThrow(/时限/);
    await expect(get("/missing.pdf")).rejects.toThrow(/404/);
  });

  it("refuses a private address unless private URLs are allowed", async () => {
    await expect(get("/ok.pdf", { allowPrivate: false })).rejects.toThrow(/本机|内网|保留/);
  });
});
