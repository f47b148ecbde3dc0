import { Api } from "telegram";
import { RPCMessageToError } from "telegram/errors";
import { describe, expect, it } from "vitest";
import { DecryptionError } from "../../lib/crypto";
import type { FailureKind } from "../../lib/telegram/contract";
import { classifyError, ConnectFailedError, DeadlineExceededError } from "../../lib/telegram/errors";

const getMe = new Api.users.GetUsers({ id: [new Api.InputUserSelf()] });

/** An error exactly as GramJS throws it for a server answer. */
function rpc(code: number, message: string): Error {
  return RPCMessageToError(new Api.RpcError({ errorCode: code, errorMessage: message }), getMe);
}

const ROWS: readonly (readonly [what: string, error: unknown, kind: FailureKind, code: string])[] = [
  ["401 AUTH_KEY_UNREGISTERED", rpc(401, "AUTH_KEY_UNREGISTERED"), "dead", "AUTH_KEY_UNREGISTERED"],
  ["401 AUTH_KEY_INVALID", rpc(401, "AUTH_KEY_INVALID"), "dead", "AUTH_KEY_INVALID"],
  ["401 SESSION_REVOKED", rpc(401, "SESSION_REVOKED"), "dead", "SESSION_REVOKED"],
  ["401 SESSION_EXPIRED", rpc(401, "SESSION_EXPIRED"), "dead", "SESSION_EXPIRED"],
  ["401 AUTH_KEY_PERM_EMPTY", rpc(401, "AUTH_KEY_PERM_EMPTY"), "dead", "AUTH_KEY_PERM_EMPTY"],
  ["406 AUTH_KEY_DUPLICATED", rpc(406, "AUTH_KEY_DUPLICATED"), "dead", "AUTH_KEY_DUPLICATED"],
  [
    "an undecryptable stored session",
    new DecryptionError("integrity check failed"),
    "dead",
    "SESSION_UNREADABLE",
  ],
  ["401 USER_DEACTIVATED", rpc(401, "USER_DEACTIVATED"), "account-gone", "USER_DEACTIVATED"],
  ["401 USER_DEACTIVATED_BAN", rpc(401, "USER_DEACTIVATED_BAN"), "account-gone", "USER_DEACTIVATED_BAN"],
  ["420 FLOOD_WAIT_30", rpc(420, "FLOOD_WAIT_30"), "flood", "FLOOD_WAIT"],
  ["420 FLOOD_PREMIUM_WAIT_5", rpc(420, "FLOOD_PREMIUM_WAIT_5"), "flood", "FLOOD_WAIT"],
  ["420 FLOOD_TEST_PHONE_WAIT_7 (test DCs)", rpc(420, "FLOOD_TEST_PHONE_WAIT_7"), "flood", "FLOOD_WAIT"],
  ["500 INTERNAL", rpc(500, "INTERNAL"), "transient", "INTERNAL"],
  ["500 RPC_CALL_FAIL", rpc(500, "RPC_CALL_FAIL"), "transient", "RPC_CALL_FAIL"],
  ["500 TIMEOUT", rpc(500, "TIMEOUT"), "transient", "TIMEOUT"],
  ["502 an unnamed server error", rpc(502, "BAD_GATEWAY_SOMETHING"), "transient", "BAD_GATEWAY_SOMETHING"],
  ["-503 Timeout", rpc(-503, "Timeout"), "transient", "Timeout"],
  ["-500 No workers running", rpc(-500, "No workers running"), "transient", "No workers running"],
  ["connect() returned false", new ConnectFailedError(), "transient", "CONNECT_FAILED"],
  ["our deadline", new DeadlineExceededError(15_000), "transient", "TIMEOUT"],
  ['GramJS Error("TIMEOUT")', new Error("TIMEOUT"), "transient", "TIMEOUT"],
  ['GramJS Error("Not connected")', new Error("Not connected"), "transient", "NOT_CONNECTED"],
  [
    "GramJS's bare string on exhausted reconnects",
    "Maximum reconnection retries reached. Aborting!",
    "transient",
    "RECONNECT_FAILED",
  ],
  [
    "GramJS's retries exhausted on 5xx",
    new Error("Request was unsuccessful 2 time(s)"),
    "transient",
    "REQUEST_RETRIES_EXHAUSTED",
  ],
  [
    "a refused TCP connection",
    Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    "transient",
    "ECONNREFUSED",
  ],
  [
    "401 SESSION_PASSWORD_NEEDED is not a dead key",
    rpc(401, "SESSION_PASSWORD_NEEDED"),
    "other",
    "SESSION_PASSWORD_NEEDED",
  ],
  [
    "401 ACTIVE_USER_REQUIRED is not a dead key",
    rpc(401, "ACTIVE_USER_REQUIRED"),
    "other",
    "ACTIVE_USER_REQUIRED",
  ],
  [
    "406 FRESH_RESET_AUTHORISATION_FORBIDDEN is harmless",
    rpc(406, "FRESH_RESET_AUTHORISATION_FORBIDDEN"),
    "other",
    "FRESH_RESET_AUTHORISATION_FORBIDDEN",
  ],
  ["400 PEER_FLOOD", rpc(400, "PEER_FLOOD"), "other", "PEER_FLOOD"],
  [
    "420 FROZEN_METHOD_INVALID is a frozen account, not a flood wait",
    rpc(420, "FROZEN_METHOD_INVALID"),
    "frozen",
    "FROZEN_METHOD_INVALID",
  ],
  [
    "400 FROZEN_PARTICIPANT_MISSING is a frozen account",
    rpc(400, "FROZEN_PARTICIPANT_MISSING"),
    "frozen",
    "FROZEN_PARTICIPANT_MISSING",
  ],
  [
    "406 FROZEN_METHOD_INVALID (as TDLib reports it)",
    rpc(406, "FROZEN_METHOD_INVALID"),
    "frozen",
    "FROZEN_METHOD_INVALID",
  ],
  ["420 FLOOD_PREMIUM_WAIT_3600", rpc(420, "FLOOD_PREMIUM_WAIT_3600"), "flood", "FLOOD_WAIT"],
  ["-503 Timeout on another request", rpc(-503, "Timeout"), "transient", "Timeout"],
  ["RPC_CALL_FAIL whatever its number", rpc(400, "RPC_CALL_FAIL"), "transient", "RPC_CALL_FAIL"],
  ["TIMEOUT whatever its number", rpc(400, "TIMEOUT"), "transient", "TIMEOUT"],
  [
    "500 WORKER_BUSY_TOO_LONG_RETRY",
    rpc(500, "WORKER_BUSY_TOO_LONG_RETRY"),
    "transient",
    "WORKER_BUSY_TOO_LONG_RETRY",
  ],
  ["a bug", new TypeError("x is undefined"), "other", "UNEXPECTED"],
  ["something thrown that is not an Error", 42, "other", "UNEXPECTED"],
];

describe("classifying what Telegram and GramJS throw", () => {
  it.each(ROWS)("%s → %s", (_what, error, kind, code) => {
    const failure = classifyError(error);
    expect(failure.kind).toBe(kind);
    expect(failure.code).toBe(code);
    expect(failure.message.startsWith(`${code}: `)).toBe(true);
  });

  it("says what to do about a dead key, in the words of SEED.md", () => {
    expect(classifyError(rpc(401, "AUTH_KEY_UNREGISTERED")).message).toBe(
      "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
    );
  });

  it("keeps a flood wait's seconds, although GramJS names it FLOOD", () => {
    const error = rpc(420, "FLOOD_WAIT_1234");
    expect((error as { errorMessage?: string }).errorMessage).toBe("FLOOD");
    expect(classifyError(error)).toMatchObject({ kind: "flood", seconds: 1234 });
  });

  it("does not rely on class names, which esbuild renames", () => {
    const error = rpc(401, "AUTH_KEY_UNREGISTERED");
    Object.defineProperty(error, "name", { value: "t" });
    Object.defineProperty(error.constructor, "name", { value: "Kr" });
    expect(classifyError(error).kind).toBe("dead");
  });
});
