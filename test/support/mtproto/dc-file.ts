/**
 * The setup the in-process loopback-DC revocation tests share: for the whole file, a fresh DynamoDB Local table set
 * and a loopback DC, the userbot harness on both, a pool of test-side clients (destroyed after each test, with the
 * DC's scripted answers cleared), and with `faults` a fault-injecting client on the same tables; all stopped at the
 * end. A test file keeps its own variables:
 *
 *   dcForFile((f) => ({ store, dc, h, clients, faulty } = f), { faults: true });
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import type { LogLevel } from "../../../lib/log";
import { createTestStore, type TestStore } from "../dynamo";
import { faultyStore, type FaultyStore } from "../faults";
import { ClientPool } from "./clients";
import { dcHarness, type DcHarness } from "./dc-harness";
import { startLoopbackDc, type LoopbackDc } from "./loopback-dc";

export interface DcFile {
  readonly store: TestStore;
  readonly dc: LoopbackDc;
  readonly h: DcHarness;
  readonly clients: ClientPool;
  /** With `faults` only (otherwise undefined). */
  readonly faulty: FaultyStore;
}

/** Registers the file's hooks (call it at the top level). */
export function dcForFile(
  set: (f: DcFile) => void,
  options: { readonly faults?: boolean; readonly logLevel?: LogLevel } = {},
): void {
  let file: DcFile | undefined;
  beforeAll(async () => {
    const [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
    file = {
      store,
      dc,
      h: dcHarness(store, dc, options.logLevel ? { logLevel: options.logLevel } : {}),
      clients: new ClientPool(dc),
      faulty: (options.faults ? faultyStore(store) : undefined) as FaultyStore,
    };
    set(file);
  });
  afterEach(async () => {
    await file?.clients.destroyAll();
    file?.dc.clearScripts();
  });
  afterAll(async () => {
    file?.faulty?.destroy();
    await file?.dc.stop();
  });
}
