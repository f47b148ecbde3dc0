/**
 * A session behind an MTProxy, as far as it can be tested offline. No MTProxy relay sits in front of the loopback DC
 * (the DC speaks GramJS's default TCPFull; a relay would have to decrypt obfuscated2 and re-frame abridged packets
 * as TCPFull both ways), so this proves the parts on our side of GramJS: the secret is stored encrypted, GramJS
 * gets it as an MTProxy and dials the proxy (never the DC) with an obfuscated2 header made with that secret for the
 * session's DC; a proxy that does not relay makes the check transient, the session stays active, and the secret
 * reaches no log line.
 */
import { createDecipheriv, createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";
import { findSecrets } from "../support/reliability-logs";
import type { UserbotDeps } from "../../lib/telegram";

/** A TCP listener that keeps the first 64 bytes of each connection (MTProxy's header), then hangs up. */
async function startMuteMtproxy(): Promise<{ port: number; headers: Buffer[]; stop(): Promise<void> }> {
  const headers: Buffer[] = [];
  const server: Server = createServer((socket) => {
    let got = Buffer.alloc(0);
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 64) {
        headers.push(got.subarray(0, 64));
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    headers,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** obfuscated2 as an MTProxy reads it: AES-256-CTR under sha256(header[8..40] + secret), iv header[40..56]. */
function readHeader(header: Buffer, secretHex: string): { tag: string; dcId: number } {
  const secret = Buffer.from(secretHex.replace(/^dd/, ""), "hex");
  const key = createHash("sha256")
    .update(Buffer.concat([header.subarray(8, 40), secret]))
    .digest();
  const plain = createDecipheriv("aes-256-ctr", key, header.subarray(40, 56)).update(header);
  return { tag: plain.subarray(56, 60).toString("hex"), dcId: plain.readInt16LE(60) };
}

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;
let mtproxy: Awaited<ReturnType<typeof startMuteMtproxy>>;
const SECRET = `dd${randomBytes(16).toString("hex")}`;
const seen: Record<string, unknown>[] = [];

beforeAll(async () => {
  [store, dc, mtproxy] = await Promise.all([createTestStore(), startLoopbackDc(), startMuteMtproxy()]);
  const createClient: NonNullable<UserbotDeps["createClient"]> = (session, apiId, apiHash, params) => {
    seen.push({ ...(params.proxy as unknown as Record<string, unknown>) });
    return dc.createClient(session, apiId, apiHash, params);
  };
  h = dcHarness(store, dc, { logLevel: "DEBUG", createClient });
});
afterAll(async () => {
  await Promise.all([mtproxy?.stop(), dc?.stop()]);
});

describe("a session behind an MTProxy", () => {
  it("stores the secret encrypted; GramJS dials the proxy with an obfuscated2 header made with it", async () => {
    const { phone } = await seedDcSession(h);
    await h.sessions.setProxy(phone, {
      kind: "mtproxy",
      host: "127.0.0.1",
      port: mtproxy.port,
      secret: SECRET,
    });
    const raw = await store.doc.send(new GetCommand({ TableName: store.sessionsTable, Key: { phone } }));
    expect(raw.Item).toMatchObject({ proxyKind: "mtproxy", proxyHost: "127.0.0.1", proxyPort: mtproxy.port });
    expect(JSON.stringify(raw.Item)).not.toContain(SECRET.slice(2));
    expect(await h.sessions.readProxy(phone)).toEqual({
      kind: "mtproxy",
      host: "127.0.0.1",
      port: mtproxy.port,
      secret: SECRET,
    });

    const accepted = dc.stats().connectionsAccepted;
    const { result, output } = await captureOutput(() =>
      h.services.userbots.checkSession(phone, { deadlineMs: 8_000, actor: "cli:ops" }),
    );
    // GramJS got it as an MTProxy (its ConnectionTCPMTProxyAbridged), with the secret as given.
    expect(seen.at(-1)).toMatchObject({ ip: "127.0.0.1", port: mtproxy.port, MTProxy: true, secret: SECRET });
    // It dialled the proxy, never the DC, and spoke MTProxy with our secret, for the session's DC.
    expect(mtproxy.headers.length).toBeGreaterThanOrEqual(1);
    expect(readHeader(mtproxy.headers.at(-1)!, SECRET)).toEqual({ tag: "efefefef", dcId: dc.dcId });
    expect(dc.stats().connectionsAccepted).toBe(accepted);
    // A proxy that does not relay: transient, never a death.
    expect(result).toMatchObject({ outcome: "transient" });
    expect(await h.sessions.require(phone)).toMatchObject({ status: "active", isPaused: false });
    // The DEBUG logs (ours and GramJS's) name the proxy's address at most, never its secret.
    const lines = output.split("\n").filter((l) => l.trim() !== "");
    expect(lines.length).toBeGreaterThan(0);
    expect(findSecrets(lines, [SECRET, SECRET.slice(2)])).toEqual([]);
  });
});
