/**
 * The session lifecycle of SEED.md as a small pure state machine:
 *
 *     CREATE → ACTIVE ⇄ PAUSED
 *                ↓  ↘    ↓
 *              ERROR → DELETED        (a 401 at any use moves a session to ERROR)
 *
 * `relogin` brings an `error` (or any existing) session back to `active` with a new session string; it is the only
 * way out of `error` besides deletion.
 */
import type { SessionStatus } from "./session";

export type SessionEvent = "pause" | "resume" | "fail" | "relogin" | "delete";

const TRANSITIONS: Record<SessionStatus, Partial<Record<SessionEvent, SessionStatus>>> = {
  active: { pause: "paused", fail: "error", relogin: "active", delete: "deleted" },
  paused: { resume: "active", fail: "error", relogin: "active", delete: "deleted" },
  error: { relogin: "active", delete: "deleted" },
  deleted: {},
};

const WHY_NOT: Record<SessionEvent, string> = {
  pause: "only an active session can be paused",
  resume: "only a paused session can be resumed; a session in error needs a new login",
  fail: "only an active or paused session can fail",
  relogin: "a deleted session cannot be logged in again; add it as a new session",
  delete: "the session is already deleted",
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: SessionStatus,
    readonly event: SessionEvent,
  ) {
    super(`Cannot ${event} a session that is ${from}: ${WHY_NOT[event]}.`);
    this.name = "IllegalTransitionError";
  }
}

/** The status after `event`, or `undefined` when the event is not allowed from `from`. */
export function nextStatus(from: SessionStatus, event: SessionEvent): SessionStatus | undefined {
  return TRANSITIONS[from][event];
}

/** Like `nextStatus`, but throws `IllegalTransitionError` with the reason. */
export function transition(from: SessionStatus, event: SessionEvent): SessionStatus {
  const to = nextStatus(from, event);
  if (to === undefined) throw new IllegalTransitionError(from, event);
  return to;
}

/** The statuses from which `event` is allowed: used to build DynamoDB conditions. */
export function statusesAllowing(event: SessionEvent): SessionStatus[] {
  return (Object.keys(TRANSITIONS) as SessionStatus[]).filter((s) => TRANSITIONS[s][event] !== undefined);
}

export function isPausedStatus(status: SessionStatus): boolean {
  return status !== "active";
}
