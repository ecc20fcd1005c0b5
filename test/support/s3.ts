import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import S3rver from "@20minutes/s3rver";
import type { S3Settings } from "../../src/config";

export interface TestS3 {
  settings: S3Settings;
  close(): Promise<void>;
}

/**
 * A local S3-compatible server (s3rver, from the npm registry) on a free port with one bucket. It
 * checks request signatures like S3 does (its built-in key S3RVER / S3RVER), so a wrongly signed
 * request fails here as it would against a real store.
 */
export async function startS3(bucket = "piaoma-test"): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = (await server.run()) as AddressInfo;
  return {
    settings: {
      bucket,
      endpoint: `http://127.0.0.1:${address.port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      forcePathStyle: true,
      prefix: "piaoma/",
    },
    close: async () => {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
