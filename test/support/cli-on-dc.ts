/**
 * The setup the CLI-on-a-loopback-DC test files share: for the whole file, a fresh DynamoDB Local table set and a
 * loopback DC, the in-process harness on both (to seed accounts and read rows) and the environment that points a
 * real `sessions` process at them; the DC stopped at the end. A test file keeps its own variables:
 *
 *   let dc: LoopbackDc; let store: TestStore; let h: DcHarness; let env: NodeJS.ProcessEnv;
 *   cliOnLoopbackDc((c) => ({ dc, store, h, env } = c));
 */
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import { loopbackDcEnv } from "./cli-dc";
import { cliEnv } from "./cli-run";
import { ClientPool } from "./mtproto/clients";
import { createTestStore, type TestStore } from "./dynamo";
import { dcHarness, type DcHarness } from "./mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "./mtproto/loopback-dc";

export interface CliOnDc {
  readonly dc: LoopbackDc;
  readonly store: TestStore;
  /** The userbot layer in this process on the same table and DC, quiet (`SILENT`). */
  readonly h: DcHarness;
  /** For `runCli(…, { env })`: the table and the DC. */
  readonly env: NodeJS.ProcessEnv;
  /** Test-side clients on the DC (with `clients`: destroyed after each test). */
  readonly clients: ClientPool;
}

/**
 * Registers the file's hooks (call it at the top level). Each CLI test may take up to 90 s (it spawns processes).
 * `clearScriptsAfterEach`: the DC's scripted answers are cleared after each test; `clients`: the pool's clients are
 * destroyed after each test (before the scripts are cleared).
 */
export function cliOnLoopbackDc(
  set: (c: CliOnDc) => void,
  options: { readonly clearScriptsAfterEach?: boolean; readonly clients?: boolean } = {},
): void {
  vi.setConfig({ testTimeout: 90_000 });
  let dc: LoopbackDc | undefined;
  let clients: ClientPool | undefined;
  beforeAll(async () => {
    const [store, started] = await Promise.all([createTestStore(), startLoopbackDc()]);
    dc = started;
    clients = new ClientPool(started);
    set({
      clients,
      dc: started,
      store,
      h: dcHarness(store, started, { logLevel: "SILENT" }),
      env: cliEnv(store, loopbackDcEnv(started)),
    });
  });
  if (options.clearScriptsAfterEach || options.clients) {
    afterEach(async () => {
      if (options.clients) await clients?.destroyAll();
      if (options.clearScriptsAfterEach) dc?.clearScripts();
    });
  }
  afterAll(async () => {
    await dc?.stop();
  });
}
