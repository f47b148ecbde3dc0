import { describe, expect, it } from "vitest";
import {
  IllegalTransitionError,
  SESSION_STATUSES,
  nextStatus,
  transition,
  type SessionEvent,
} from "../../lib/sessions";

const EVENTS: SessionEvent[] = ["pause", "resume", "fail", "relogin", "delete"];

describe("the session lifecycle of SEED.md", () => {
  it("follows CREATE → ACTIVE → ERROR → DELETED and ACTIVE ⇄ PAUSED", () => {
    expect(transition("active", "pause")).toBe("paused");
    expect(transition("paused", "resume")).toBe("active");
    expect(transition("active", "fail")).toBe("error");
    expect(transition("error", "delete")).toBe("deleted");
  });

  it("moves a session to ERROR from any use that hits a 401, paused or not", () => {
    expect(transition("active", "fail")).toBe("error");
    expect(transition("paused", "fail")).toBe("error");
  });

  it("leaves ERROR only by a new login or by deletion", () => {
    expect(EVENTS.filter((e) => nextStatus("error", e) !== undefined).sort()).toEqual(["delete", "relogin"]);
    expect(() => transition("error", "resume")).toThrow(/needs a new login/);
  });

  it("allows nothing out of DELETED", () => {
    for (const e of EVENTS) expect(nextStatus("deleted", e)).toBeUndefined();
  });

  it("names the status and the reason in every refusal", () => {
    for (const s of SESSION_STATUSES)
      for (const e of EVENTS) {
        if (nextStatus(s, e) !== undefined) continue;
        const err = (() => {
          try {
            transition(s, e);
          } catch (x) {
            return x;
          }
        })();
        expect(err).toBeInstanceOf(IllegalTransitionError);
        expect((err as Error).message).toContain(`that is ${s}`);
      }
  });
});
