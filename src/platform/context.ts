import type { Logger } from "pino";
import type { Config } from "../config";
import type { Keyring } from "./crypto";
import type { Database } from "./db/client";
import type { JobQueue } from "./jobs";

/**
 * What services need from the platform, built once by buildApp and passed explicitly as the first
 * argument. No container, no globals.
 */
export interface AppContext {
  config: Config;
  database: Database;
  keyring: Keyring;
  jobs: JobQueue;
  log: Logger;
}

/** Who is acting. Services take it in their options and enforce what it may see. */
export type Actor =
  | {
      type: "user";
      userId: string;
      username: string;
      role: "admin" | "operator" | "viewer";
      orgIds: string[];
    }
  | { type: "app"; appKey: string; orgId: string }
  | { type: "consumer"; token: string }
  | { type: "system"; reason: string };

export const systemActor = (reason: string): Actor => ({ type: "system", reason });
