/**
 * The CLI runs as CommonJS through tsx (bin/sessions.js); the Lambdas as ES modules. The KMS client is loaded on
 * first use (issue #19), and an `import()` that resolves in one runtime may not in the other: once, the deployed
 * CLI could open no session at all ("Cannot find module …/kms-key-provider.js"). Here the CLI's own runtime builds
 * the KMS key provider and sends GenerateDataKey and Decrypt to a local endpoint that answers as KMS does.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/bundling";

let server: Server;
const targets: string[] = [];
const PLAINTEXT = Buffer.alloc(32, 7);
const WRAPPED = Buffer.from("wrapped-data-key");

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      targets.push(target);
      const input = JSON.parse(body) as {
        EncryptionContext?: Record<string, string>;
        CiphertextBlob?: string;
      };
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (target === "TrentService.GenerateDataKey" && input.EncryptionContext?.purpose === "probe")
        return res.end(
          JSON.stringify({
            KeyId: "arn:aws:kms:eu-central-1:000000000000:key/k",
            Plaintext: PLAINTEXT.toString("base64"),
            CiphertextBlob: WRAPPED.toString("base64"),
          }),
        );
      if (target === "TrentService.Decrypt" && input.CiphertextBlob === WRAPPED.toString("base64"))
        return res.end(JSON.stringify({ KeyId: "k", Plaintext: PLAINTEXT.toString("base64") }));
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: "InvalidCiphertextException", message: "no" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const PROGRAM = `
require("tsx/cjs");
const { createKeyProvider } = require("./lib/crypto/index.ts");
(async () => {
  const kms = await createKeyProvider({ kind: "kms", keyId: "alias/session-keeper" }, "eu-central-1");
  const key = await kms.generateDataKey({ purpose: "probe" });
  const opened = await kms.unwrapDataKey(key.wrapped, { purpose: "probe" });
  let refused = "";
  try { await kms.unwrapDataKey(Buffer.from("other"), { purpose: "probe" }); } catch (e) { refused = e.name; }
  process.stdout.write("RESULT " + JSON.stringify({ same: opened.equals(key.plaintext), refused }) + "\\n");
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;

describe("the KMS key in the CLI's runtime (CommonJS through tsx)", () => {
  it("loads the KMS client on first use and seals and opens through it", { timeout: 60_000 }, async () => {
    const port = (server.address() as AddressInfo).port;
    const child = spawn(process.execPath, ["-e", PROGRAM], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${port}`,
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_MAX_ATTEMPTS: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, out).toBe(0);
    const line = out.split("\n").find((l) => l.startsWith("RESULT "));
    expect(JSON.parse(line!.slice("RESULT ".length))).toEqual({ same: true, refused: "DecryptionError" });
    expect(targets).toEqual(["TrentService.GenerateDataKey", "TrentService.Decrypt", "TrentService.Decrypt"]);
  });
});
