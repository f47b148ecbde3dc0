/**
 * The encryption migration under faults and races, on DynamoDB Local with the real cipher (test/support/faults.ts):
 *   - every write of a run failed in turn (throttling after the SDK's retries, a conditional-check failure, a timeout
 *     after the write landed): no row is lost or left unopenable, and a second run finishes the migration;
 *   - a row logged in again, deleted or given a new proxy between the read and the write is not clobbered: what the
 *     other writer stored is what the row holds afterwards;
 *   - a row that changes before every attempt is reported as skipped and left as it was;
 *   - a replaced key (`REPLACED#`, the old key of a phone logged in again, kept while its logout is pending) is
 *     rewrapped by the same rules: faulted like the rows, and one settled meanwhile is not brought back.
 */
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { FORMAT_V1 } from "../../lib/crypto";
import {
  migrateEncryption,
  MigrationStoppedError,
  normalizePhone,
  SessionRepository,
  type Phone,
  type RewrapOutcome,
  type StoredSecrets,
} from "../../lib/sessions";
import { fakeSessionString, seed } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { faultyStore, type FaultKind, type FaultyStore } from "../support/faults";
import { makeLegacy, openSecrets } from "../support/legacy-rows";
import { counters } from "../support/reliability-counters";

let store: TestStore;
let faulty: FaultyStore;
const p = (n: number) => normalizePhone(`+9989066${String(n).padStart(5, "0")}`);
const PROXY = {
  kind: "socks5",
  host: "127.0.0.1",
  port: 1080,
  username: "u",
  password: "proxy-pass-1",
} as const;

beforeAll(async () => {
  store = await createTestStore();
  faulty = faultyStore(store);
});
afterAll(() => faulty.destroy());

/** The replaced keys seeded: the item's key, its phone, the old key it holds, and the key the row holds now. */
const replacedKeys = new Map<
  Phone,
  { readonly itemKey: string; readonly old: string; readonly now: string }
>();

/**
 * Seeds `n` rows over the statuses (one with a proxy, one a pending tombstone), all sealed in format 1; with
 * `replaced`, that row is logged in again first (a new key; the old one kept in a pending replaced-key item, also
 * sealed in format 1).
 */
async function legacyFleet(first: number, n: number, options: { replaced?: number } = {}): Promise<Phone[]> {
  const statuses = ["active", "paused", "error"] as const;
  const phones = await seed(
    store,
    Array.from({ length: n }, (_, i) => ({ phone: p(first + i), status: statuses[i % statuses.length] })),
  );
  await store.sessions().setProxy(phones[0]!, PROXY);
  await store.sessions().deleteWithRevocation(phones[1]!, { notConfirmed: "TIMEOUT" });
  if (options.replaced !== undefined) {
    const phone = phones[options.replaced]!;
    const now = `${fakeSessionString(phone)}-relogged`;
    const { replacedKey } = await store
      .sessions()
      .replaceKey(phone, now, { userId: "4343" }, undefined, await store.sessions().require(phone));
    replacedKeys.set(phone, { itemKey: replacedKey!.id, old: fakeSessionString(phone), now });
  }
  await resealLegacy(phones);
  return phones;
}

async function resealLegacy(phones: readonly Phone[]): Promise<void> {
  for (const phone of phones) await makeLegacy(store, phone);
  await makeLegacy(store, phones[0]!, "proxyCiphertext");
  for (const phone of phones) {
    const replaced = replacedKeys.get(phone);
    if (replaced) await makeLegacy(store, phone, "sessionCiphertext", replaced);
  }
}

/** The replaced keys of `phones` still pending, each with what it opens to and its formats. */
async function openReplaced(phones: readonly Phone[]) {
  const out: { phone: Phone; session?: string; formats: string[] }[] = [];
  for (const phone of phones) {
    const replaced = replacedKeys.get(phone);
    if (replaced) out.push({ phone, ...(await openSecrets(store, phone, replaced)) });
  }
  return out;
}

/** Rows that no longer open to what was stored (the session string, and the first row's proxy). */
async function lost(phones: readonly Phone[]): Promise<Phone[]> {
  const missing: Phone[] = [];
  for (const phone of phones) {
    try {
      const opened = await openSecrets(store, phone);
      const proxyOk = phone !== phones[0] || (opened.proxy ?? "").includes(PROXY.password);
      const expected = replacedKeys.get(phone)?.now ?? fakeSessionString(phone);
      if (opened.session !== expected || !proxyOk) missing.push(phone);
    } catch {
      missing.push(phone);
    }
  }
  // A replaced key is kept until its logout: it must still open to the old key.
  try {
    for (const r of await openReplaced(phones))
      if (r.session !== replacedKeys.get(r.phone)!.old) missing.push(r.phone);
  } catch {
    missing.push(...phones.filter((phone) => replacedKeys.has(phone)));
  }
  return missing;
}

const formats = async (phones: readonly Phone[]) => [
  ...(await Promise.all(phones.map(async (phone) => (await openSecrets(store, phone)).formats))).flat(),
  ...(await openReplaced(phones)).flatMap((r) => r.formats),
];

describe("the encryption migration under DynamoDB faults", () => {
  // 27 faulted runs over real crypto: slow on a loaded machine.
  it("loses nothing when any write fails, and a second run finishes", { timeout: 180_000 }, async (ctx) => {
    const c = counters(ctx);
    const phones = await legacyFleet(1, 8, { replaced: 2 });
    // One write per row, and one for the replaced key.
    const writes = phones.length + 1;
    const plans: { kind: FaultKind; afterLanding?: boolean }[] = [
      { kind: "throttle" },
      { kind: "throttle", afterLanding: true },
      { kind: "condition" },
    ];
    for (const plan of plans) {
      for (let write = 1; write <= writes; write++) {
        const label = `${plan.kind}${plan.afterLanding ? " after landing" : ""} at write ${write}`;
        await resealLegacy(phones);
        faulty.reset();
        faulty.failWrite(write, plan.kind, plan.afterLanding ? { afterLanding: true } : {});
        const before = faulty.faultsInjected;
        let stopped = false;
        try {
          const report = await migrateEncryption(faulty.sessions(), { parallel: 2 });
          // A refused condition is a row changed meanwhile: read again and finished in the same run.
          expect(plan.kind, label).toBe("condition");
          expect(report.changedMeanwhile, label).toBe(1);
          expect(report.migrated, label).toBe(writes);
          expect(report.replacedKeys, label).toBe(1);
        } catch (err) {
          expect(err, label).toBeInstanceOf(MigrationStoppedError);
          stopped = true;
        }
        expect(faulty.faultsInjected - before, label).toBe(1);
        c.faults += faulty.faultsInjected - before;
        const missing = await lost(phones);
        c.itemsLost += missing.length;
        expect(missing, label).toEqual([]);
        if (stopped) {
          const rerun = await migrateEncryption(store.sessions());
          expect(rerun.failed, label).toEqual([]);
          expect(rerun.skipped, label).toEqual([]);
        }
        expect(await formats(phones), label).not.toContain(FORMAT_V1);
        expect(await lost(phones), label).toEqual([]);
        expect(await openReplaced(phones), label).toHaveLength(1);
      }
    }
  });
});

/** A repository whose `rewrapSecrets` lets another writer change a row just before the migration's write. */
class RacedRepository extends SessionRepository {
  constructor(
    base: TestStore,
    private readonly before: (row: StoredSecrets) => Promise<void>,
  ) {
    super(base.doc, base.sessionsTable, base.cipher);
  }
  override async rewrapSecrets(row: StoredSecrets, options?: { dryRun?: boolean }): Promise<RewrapOutcome> {
    await this.before(row);
    return super.rewrapSecrets(row, options);
  }
}

describe("the encryption migration racing other writers", () => {
  it("never clobbers a row logged in again, deleted or given a new proxy meanwhile", async () => {
    const phones = await legacyFleet(100, 6);
    const [withProxy, , relogged, deleted] = [phones[0]!, phones[1]!, phones[2]!, phones[3]!];
    const other = store.sessions();
    const newKey = `${fakeSessionString(relogged)}-new`;
    const newProxy = { ...PROXY, password: "proxy-pass-2" };
    const raced = new Set<Phone>();
    const repo = new RacedRepository(store, async (row) => {
      if (raced.has(row.phone)) return;
      raced.add(row.phone);
      if (row.phone === relogged) await other.relogin(relogged, newKey, { userId: "4242" });
      if (row.phone === deleted) await other.deleteWithRevocation(deleted, { confirmed: "logged-out" });
      if (row.phone === withProxy) await other.setProxy(withProxy, newProxy);
    });
    const report = await migrateEncryption(repo);
    expect(report).toMatchObject({ changedMeanwhile: 3, skipped: [], failed: [], stopped: false });
    expect(await other.readSessionString(relogged)).toBe(newKey);
    expect(await openSecrets(store, deleted)).toEqual({ formats: [] });
    expect(await other.readProxy(withProxy)).toMatchObject({ password: "proxy-pass-2" });
    // The proxy's session string was still the old one: migrated on the retry.
    expect(await openSecrets(store, withProxy)).toMatchObject({
      session: fakeSessionString(withProxy),
      formats: ["skenc2", "skenc2"],
    });
    const untouched = phones.filter((ph) => ![relogged, deleted, withProxy].includes(ph));
    for (const phone of untouched)
      expect(await openSecrets(store, phone)).toEqual({
        session: fakeSessionString(phone),
        formats: ["skenc2"],
      });
  });

  it("rewraps a pending replaced key, and never brings back one settled meanwhile", async () => {
    const phones = await legacyFleet(300, 4, { replaced: 2 });
    const settledMeanwhile = (await legacyFleet(400, 3, { replaced: 2 }))[2]!;
    const other = store.sessions();
    const repo = new RacedRepository(store, async (row) => {
      if (row.replacedKeyId !== undefined && row.phone === settledMeanwhile) {
        const [key] = (await other.listPendingReplacedKeys({ phone: settledMeanwhile })).items;
        if (key) await other.settleReplacedKey(key, { confirmed: "logged-out" });
      }
    });
    const report = await migrateEncryption(repo);
    expect(report).toMatchObject({ changedMeanwhile: 1, skipped: [], failed: [] });
    expect(report.replacedKeys).toBeGreaterThanOrEqual(2);
    // The settled one is gone, not written again; the other opens to the old key, in the current format.
    expect(await other.listPendingReplacedKeys({ phone: settledMeanwhile })).toMatchObject({ items: [] });
    expect(await openReplaced([phones[2]!])).toEqual([
      { phone: phones[2], session: fakeSessionString(phones[2]!), formats: ["skenc2"] },
    ]);
    const [pending] = (await other.listPendingReplacedKeys({ phone: phones[2]! })).items;
    expect(await other.readReplacedKeyString(pending!)).toBe(fakeSessionString(phones[2]!));
    expect((await other.recountFleet()).drift).toEqual({});
    expect(await migrateEncryption(store.sessions())).toMatchObject({ migrated: 0, failed: [] });
  });

  it("reports a row that changes before every attempt as skipped, left as the other writer made it", async () => {
    const phones = await legacyFleet(200, 3);
    const busy = phones[2]!;
    const repo = new RacedRepository(store, async (row) => {
      if (row.phone === busy) await makeLegacy(store, busy);
    });
    const report = await migrateEncryption(repo, { retries: 2 });
    expect(report.skipped).toEqual([busy]);
    expect(report.changedMeanwhile).toBe(1);
    expect(await openSecrets(store, busy)).toEqual({ session: fakeSessionString(busy), formats: ["skenc1"] });
    const rerun = await migrateEncryption(store.sessions());
    expect(rerun).toMatchObject({ migrated: 1, skipped: [], failed: [] });
  });
});
