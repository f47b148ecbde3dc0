/**
 * Which active sessions a run checks, page by page from the `byStatus` index (no scan). A session still in a
 * Telegram flood wait, or held by another job right now, gets no message: checking it could only be refused
 * (or, worse, extend the wait). Paused, error and deleted sessions are not in the `active` partition at all.
 */
import type { Phone } from "../sessions/phone";
import type { SessionRepository } from "../sessions/repository";
import { DISPATCH_PAGE_SIZE } from "./scale";

export interface DuePage {
  readonly due: Phone[];
  /** The data centre of those due sessions whose row knows it. */
  readonly dcOf: ReadonlyMap<Phone, number>;
  readonly floodWait: number;
  readonly leased: number;
}

export async function* sessionsDueForCheck(
  sessions: SessionRepository,
  now: () => Date,
): AsyncGenerator<DuePage> {
  // A session whose updatedAt changes while we page (relogin) can show up twice: each phone is due once per run.
  const seen = new Set<Phone>();
  let cursor: string | undefined;
  do {
    const page = await sessions.listByStatus("active", {
      limit: DISPATCH_PAGE_SIZE,
      order: "oldest",
      ...(cursor ? { cursor } : {}),
    });
    const at = now().toISOString();
    const out = { due: [] as Phone[], dcOf: new Map<Phone, number>(), floodWait: 0, leased: 0 };
    for (const session of page.items) {
      if (seen.has(session.phone)) continue;
      seen.add(session.phone);
      if (session.floodWaitUntil && session.floodWaitUntil > at) out.floodWait += 1;
      else if (session.leaseUntil && session.leaseUntil > at) out.leased += 1;
      else {
        out.due.push(session.phone);
        if (session.dcId !== undefined) out.dcOf.set(session.phone, session.dcId);
      }
    }
    yield out;
    cursor = page.cursor;
  } while (cursor);
}
