import http from "node:http";
import type { AddressInfo } from "node:net";
import type { StandinClock } from "./clock";

/**
 * A small framework for local stand-ins of third-party services (CHANNELS.md §7): an HTTP server
 * that hands each request (raw body bytes included, for signature checks) to the stand-in, a
 * deterministic clock, and a control API under `/__standin/` that tests and demos use to set
 * scenarios: `POST /__standin/clock {advanceMs | set}`, `GET /__standin/state`, `POST
 * /__standin/reset`, plus whatever the stand-in adds. The control API is for tests; stand-ins bind to
 * 127.0.0.1 by default.
 */
export interface StandinRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type StandinResponse =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status?: number; text: string; contentType?: string; headers?: Record<string, string> }
  /** Close the connection without answering (a response lost after the work was done). */
  | { drop: true };

export interface StandinDefinition {
  name: string;
  handle(request: StandinRequest): Promise<StandinResponse> | StandinResponse;
  /** Scenario controls: `POST /__standin/<action>` with a JSON body. */
  control(action: string, body: Record<string, unknown>): Promise<unknown> | unknown;
  /** What `GET /__standin/state` shows. */
  state(): unknown;
  reset(): void;
  /** Delay before answering a business request, if any (slowness scenarios). */
  delayMs?(request: StandinRequest): number;
}

export interface RunningStandin {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startStandin(
  definition: StandinDefinition,
  clock: StandinClock,
  options: { port?: number; host?: string } = {},
): Promise<RunningStandin> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void serve(req, res, Buffer.concat(chunks)).catch((e) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: (e as Error).message }));
        }
      });
    });
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? "/", "http://standin");
    if (url.pathname.startsWith("/__standin/")) {
      const action = url.pathname.slice("/__standin/".length);
      let result: unknown;
      let status = 200;
      try {
        if (req.method === "GET" && action === "state") result = definition.state();
        else if (action === "reset") {
          definition.reset();
          result = { reset: true };
        } else {
          const input = body.length ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
          if (action === "clock") {
            if (typeof input.set === "string") clock.set(new Date(input.set));
            if (typeof input.advanceMs === "number") clock.advance(input.advanceMs);
            result = { now: clock.now().toISOString() };
          } else result = await definition.control(action, input);
        }
      } catch (e) {
        status = 400;
        result = { error: (e as Error).message };
      }
      // The clock moved or a scenario changed: let the stand-in act on it before answering.
      if (action === "clock") await definition.control("tick", {});
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(result ?? {}));
      return;
    }
    const request: StandinRequest = { method: req.method ?? "GET", url, headers: req.headers, body };
    const answer = await definition.handle(request);
    const delay = definition.delayMs?.(request) ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if ("drop" in answer) {
      req.socket.destroy();
      return;
    }
    if ("json" in answer) {
      res.writeHead(answer.status ?? 200, {
        "content-type": "application/json;charset=utf-8",
        ...answer.headers,
      });
      res.end(JSON.stringify(answer.json));
    } else {
      res.writeHead(answer.status ?? 200, {
        "content-type": answer.contentType ?? "text/plain;charset=utf-8",
        ...answer.headers,
      });
      res.end(answer.text);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== "0.0.0.0" ? options.host : "127.0.0.1";
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Calls a running stand-in's control API (tests, scripts). */
export async function standinControl(baseUrl: string, action: string, body: unknown = {}): Promise<unknown> {
  const res = await fetch(`${baseUrl}/__standin/${action}`, {
    method: action === "state" ? "GET" : "POST",
    headers: action === "state" ? {} : { "content-type": "application/json" },
    ...(action === "state" ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`stand-in ${action}: ${JSON.stringify(answer)}`);
  return answer;
}
