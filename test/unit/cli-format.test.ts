import { describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import type { Session } from "../../lib/sessions/session";
import { suggest } from "../../lib/cli/main";
import {
  sessionJson,
  accountLabel,
  colorsFor,
  relativeTime,
  renderTable,
  truncate,
  visibleWidth,
} from "../../lib/cli/format";

const NOW = new Date("2026-05-10T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

describe("relative times as operators read them", () => {
  it.each([
    [undefined, "never"],
    [ago(10_000), "just now"],
    [ago(5 * 60_000), "5m ago"],
    [ago(3 * 3_600_000), "3h ago"],
    [ago(26 * 3_600_000), "1d ago"],
    [ago(40 * 86_400_000), "40d ago"],
    [ago(200 * 86_400_000), "7mo ago"],
    [ago(-2 * 3_600_000), "in 2h"],
  ])("%s → %s", (iso, text) => {
    expect(relativeTime(iso, NOW)).toBe(text);
  });
});

describe("table cells", () => {
  it("truncates with an ellipsis, flattening newlines", () => {
    expect(truncate("AUTH_KEY_UNREGISTERED:\nsession expired", 100)).toBe(
      "AUTH_KEY_UNREGISTERED: session expired",
    );
    expect(truncate("abcdef ghij", 8)).toBe("abcdef…");
    expect(truncate("short", 5)).toBe("short");
  });

  it("names the account by @username, else by name, else by id", () => {
    expect(accountLabel({ userId: "1", username: "shop", firstName: "A" })).toBe("@shop");
    expect(accountLabel({ userId: "1", firstName: "Ann", lastName: "Lee" })).toBe("Ann Lee");
    expect(accountLabel({ userId: "77" })).toBe("id 77");
    expect(accountLabel(undefined)).toBe("—");
  });

  it("aligns columns by what the terminal shows, colour codes taking no room", () => {
    const colors = colorsFor({ isTTY: true }, { TERM: "xterm" });
    const lines = renderTable(
      ["A", "STATUS", "C"],
      [
        ["x", colors.red("error"), "1"],
        ["yy", "ok", "2"],
      ],
      colors,
    );
    expect(
      lines.map((l) =>
        l
          .split("\u001b[1m")
          .join("")
          .split("\u001b[22m")
          .join("")
          .split("\u001b[31m")
          .join("")
          .split("\u001b[39m")
          .join(""),
      ),
    ).toEqual(["A   STATUS  C", "x   error   1", "yy  ok      2"]);
    expect(visibleWidth(colors.red("error"))).toBe(5);
  });

  it("keeps columns in line with emoji and CJK names: measured in terminal columns, not characters", () => {
    const colors = colorsFor({ isTTY: false }, {});
    const lines = renderTable(
      ["NAME", "STATUS"],
      [
        ["王小明", "active"],
        ["👩‍💻 Dev", "error"],
        ["Zoë", "paused"],
        ["plain", "active"],
      ],
      colors,
    );
    // The STATUS column starts at the same terminal column on every row.
    const at = lines.map((l) => visibleWidth(l.slice(0, l.search(/(STATUS|active|error|paused)$/))));
    expect(new Set(at)).toEqual(new Set([8]));
    expect(lines[1]).toBe("王小明  active");
    expect(visibleWidth("👩‍💻")).toBe(2);
  });

  it("truncates by terminal columns and never splits an emoji", () => {
    expect(truncate("王小明王小明", 7)).toBe("王小明…");
    expect(visibleWidth(truncate("王小明王小明", 7))).toBeLessThanOrEqual(7);
    expect(truncate("ab👩‍💻cd", 4)).toBe("ab…");
  });
});

describe("colour", () => {
  it("is on for a terminal, off for a pipe, NO_COLOR and TERM=dumb; FORCE_COLOR forces it", () => {
    expect(colorsFor({ isTTY: true }, {}).enabled).toBe(true);
    expect(colorsFor({ isTTY: false }, {}).enabled).toBe(false);
    expect(colorsFor({ isTTY: true }, { NO_COLOR: "1" }).enabled).toBe(false);
    expect(colorsFor({ isTTY: true }, { TERM: "dumb" }).enabled).toBe(false);
    expect(colorsFor({ isTTY: false }, { FORCE_COLOR: "1" }).enabled).toBe(true);
    expect(colorsFor({ isTTY: false }, { FORCE_COLOR: "1", NO_COLOR: "1" }).enabled).toBe(false);
    expect(colorsFor({ isTTY: false }, {}).red("x")).toBe("x");
  });
});

describe("did you mean", () => {
  it("suggests the closest command within two edits, and nothing for a stranger", () => {
    const names = ["list", "remove", "remove-errors", "admins", "add-admin"];
    expect(suggest("lsit", names)).toBe("list");
    expect(suggest("remvoe", names)).toBe("remove");
    expect(suggest("admin", names)).toBe("admins");
    expect(suggest("deploy", names)).toBeUndefined();
  });
});

describe("sessionJson", () => {
  const base: Session = {
    phone: "+998901234567" as Phone,
    status: "active",
    isPaused: false,
    consecutiveFailures: 0,
    createdAt: "2026-11-01T00:00:00.000Z",
    updatedAt: "2026-11-27T00:00:00.000Z",
    hasSecret: true,
    version: 3,
  } as Session;

  it("tells scripts a frozen account's dates and the idle-termination days, null when Telegram said nothing", () => {
    expect(sessionJson(base)).toMatchObject({ frozen: null, authorizationTtlDays: null });
    const frozen = sessionJson({
      ...base,
      frozen: { detectedAt: "2026-11-20T03:00:00.000Z", until: "2027-01-30T00:00:00.000Z" },
      authorizationTtlDays: 180,
    });
    expect(frozen).toMatchObject({
      frozen: {
        detectedAt: "2026-11-20T03:00:00.000Z",
        since: null,
        until: "2027-01-30T00:00:00.000Z",
        appealUrl: null,
      },
      authorizationTtlDays: 180,
    });
  });
});
