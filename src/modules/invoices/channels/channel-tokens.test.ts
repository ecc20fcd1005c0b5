/**
 * Two server processes on one PostgreSQL database (two pools, two adapters each with its own
 * in-process sharing) asking for a channel token at the same moment: one fetch, both use it.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { clonePostgresTemplate, describePostgres } from "../../../../test/support/db";
import { Keyring } from "../../../platform/crypto";
import { type Database, openPostgres } from "../../../platform/db/client";
import { channelTokens } from "../../../platform/db/schema";
import { type KingdeeStandin, startKingdeeStandin } from "../../../standins/kingdee";
import { createNuonuoStandin, DEFAULT_APP } from "../../../standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../../standins/server";
import { channelDefinition, prepareSettings } from "./channel-registry";
import { registerBuiltInChannels } from "./channels";

const keyring = new Keyring("channel-tokens-test-secret");
let processes: Database[];
let drop: () => Promise<void>;

describePostgres("channel tokens across processes [postgres]", () => {
  beforeEach(async () => {
    const clone = await clonePostgresTemplate();
    drop = clone.drop;
    processes = [openPostgres(clone.url, 4), openPostgres(clone.url, 4)];
    registerBuiltInChannels();
  });
  afterEach(async () => {
    for (const p of processes) await p.close();
    await drop();
  });

  const adapters = (channel: string) =>
    processes.map((database) =>
      channelDefinition(channel)!.create({ database, keyring, allowPrivateUrls: true }),
    );

  it("金蝶: concurrent first calls in two processes log in once", async () => {
    const standin: KingdeeStandin = await startKingdeeStandin();
    try {
      const settings = prepareSettings("kingdee", standin.adapterSettings(), {
        keyring,
        allowPrivateUrls: true,
      });
      const seller = "91310000MA1FL0XX7Q";
      await Promise.all(
        adapters("kingdee").flatMap((a) =>
          [1, 2, 3].map(() => a.query("PM01KDTOKENS0000000000000000", settings, { sellerTaxId: seller })),
        ),
      );
      expect(standin.counters()).toMatchObject({ appToken: 1, login: 1, openApi: 6 });
      expect(await processes[0]!.db.select().from(channelTokens)).toHaveLength(1);
    } finally {
      await standin.close();
    }
  });

  it("诺诺: concurrent first calls in two processes fetch one token (the quota is 50 per 30 days)", async () => {
    const standin: RunningStandin = await createNuonuoStandin().start();
    try {
      const settings = prepareSettings(
        "nuonuo",
        {
          apiUrl: `${standin.url}/open/v1/services`,
          tokenUrl: `${standin.url}/accessToken`,
          appKey: DEFAULT_APP.appKey,
          appSecret: DEFAULT_APP.appSecret,
        },
        { keyring, allowPrivateUrls: true },
      );
      await Promise.all(
        adapters("nuonuo").flatMap((a) =>
          [1, 2, 3].map(() => a.query("PM01NNTOKENS0000000000000000", settings)),
        ),
      );
      const state = (await standinControl(standin.url, "state")) as { tokenCalls: Record<string, number> };
      expect(state.tokenCalls).toEqual({ [DEFAULT_APP.appKey]: 1 });
    } finally {
      await standin.close();
    }
  });
});
