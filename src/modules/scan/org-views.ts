import type { Logger } from "pino";
import type { Database } from "../../platform/db/client";
import { type Listener, listen } from "../../platform/db/notifications";
import { runStatement } from "../../platform/db/records";
import { ORG_VIEW, type OrgViewRow } from "./scan.queries";

/** The channel the triggers of drizzle/0037 notify, with the organization's id. */
export const ORG_VIEW_CHANNEL = "piaoma_org_view";

/** More organizations than this kept at once: start over (a guard, far above any real install). */
const MAX_KEPT = 10_000;

/**
 * What the scan shows of each organization (seller, 开票设置, title sources), kept per process so a
 * scan reads only its code (issue 23: the three joins were a third of the scan's database time).
 *
 * Kept only while this process listens to `piaoma_org_view`: triggers on organizations,
 * receipt_code_configs and org_integrations (drizzle/0037) notify every change, by whoever, after
 * it commits, and the organization is read again on its next scan. While the listening connection
 * is down nothing is kept (every scan reads), and everything is dropped when it comes back: a change
 * made meanwhile is never missed. A read that started before a change and ends after its
 * notification is not kept (`generation`). What a consumer can still see: a change in the
 * milliseconds between its commit and its notification, as with any read a moment earlier.
 */
export class OrgViews {
  private readonly kept = new Map<string, OrgViewRow>();
  private generation = 0;
  private listening = false;
  private listener: Listener | undefined;

  constructor(private readonly database: Database) {}

  /** Starts listening (the app does, at start); without it nothing is kept. */
  start(log?: Pick<Logger, "warn">, health?: Parameters<typeof listen>[4]): void {
    this.listener ??= listen(
      this.database,
      ORG_VIEW_CHANNEL,
      {
        message: (orgId) => this.changed(orgId),
        up: () => this.reset(true),
        down: () => this.reset(false),
      },
      log,
      health,
    );
  }

  async close(): Promise<void> {
    await this.listener?.close();
    this.listener = undefined;
  }

  /** The organization as the scan shows it; undefined for an unknown id. */
  async get(orgId: string): Promise<OrgViewRow | undefined> {
    const kept = this.kept.get(orgId);
    if (kept) return kept;
    const generation = this.generation;
    const [row] = await runStatement(this.database, ORG_VIEW, [orgId]);
    if (row && this.listening && generation === this.generation) {
      if (this.kept.size >= MAX_KEPT) this.kept.clear();
      this.kept.set(orgId, row);
    }
    return row;
  }

  /** Organizations kept now (tests, metrics). */
  get size(): number {
    return this.kept.size;
  }

  /** Whether this process hears of changes now (and so keeps what it reads). */
  get live(): boolean {
    return this.listening;
  }

  private changed(orgId: string): void {
    this.generation++;
    this.kept.delete(orgId);
  }

  private reset(listening: boolean): void {
    this.generation++;
    this.kept.clear();
    this.listening = listening;
  }
}
