/**
 * `sessions 2fa set` (issue 16) as real `sessions` processes against DynamoDB Local and a loopback DC (real SRP
 * through GramJS's own helper): an account without a password gets one, and a later login needs it; changing one
 * needs the current one, and a wrong current password changes nothing; two different new passwords change nothing.
 * The passwords never show: not on the screen as typed, not in the output, not in the DEBUG log lines.
 */
import { describe, expect, it } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import type { Phone } from "../../lib/sessions";
import { runCli, spawnInTerminal } from "../support/cli-run";
import type { TestStore } from "../support/dynamo";
import { seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import type { LoopbackDc } from "../support/mtproto/loopback-dc";
import { cliOnLoopbackDc } from "../support/cli-on-dc";

let dc: LoopbackDc;
let store: TestStore;
let h: DcHarness;
let env: NodeJS.ProcessEnv;
cliOnLoopbackDc((c) => ({ dc, store, h, env } = c));

const today = () => new Date().toISOString().slice(0, 10);

async function auditOf(phone: Phone): Promise<string[]> {
  const day = await new AuditLog(store.doc, store.botStateTable).day(today());
  return day.filter((e) => e.phone === phone).map((e) => `${e.action}: ${e.detail ?? ""}`);
}

/** A fresh login of `phone` at the DC up to the password step, then `password`: what the login answers. */
async function loginWith(phone: Phone, password: string): Promise<string> {
  const sent = await h.another().login.startLogin(phone, "cli:2fa-test");
  expect(sent.kind).toBe("code-sent");
  const code = dc.sentCodes(phone).at(-1)!;
  const step = await h.another().login.submitCode(phone, code.split("").join(" "));
  if (step.kind !== "password-needed") return step.kind;
  return (await h.another().login.submitPassword(phone, password)).kind;
}

/** `sessions 2fa set` in a real terminal, answering each question as it shows; the whole screen back. */
function runInTerminal(
  args: string[],
  answers: readonly (readonly [prompt: string, answer: string])[],
): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnInTerminal(args, env);
    let screen = "";
    let next = 0;
    let searchFrom = 0;
    child.stdout.on("data", (d: string) => {
      screen += d;
      const step = answers[next];
      if (!step) return;
      const at = screen.indexOf(step[0], searchFrom);
      if (at < 0) return;
      searchFrom = at + step[0].length;
      next += 1;
      child.stdin.write(`${step[1]}\r`);
    });
    child.stderr.on("data", (d: string) => (screen += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, screen: screen.replace(/\r\n/g, "\n") }));
  });
}

describe("sessions 2fa set <phone>", () => {
  it("gives an account without a password one (a later login needs it); the password shows nowhere, not even in DEBUG logs", async () => {
    const acc = await seedDcSession(h);

    const r = await runCli(["2fa", "set", acc.phone], {
      env: { ...env, DEBUG: "1" },
      input: "blue giraffe 42\nblue giraffe 42\nzoo animal\n",
    });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Set: ${acc.phone} has a 2FA password now; a new login of the account asks for it.`,
    );
    expect(`${r.stdout}${r.stderr}`).not.toContain("blue giraffe 42");
    // The DEBUG log line is there (Powertools writes to stdout), without the password.
    expect(`${r.stdout}${r.stderr}`).toContain("Session 2FA password");
    expect(dc.passwordState(acc.phone)).toEqual({ hasPassword: true, hint: "zoo animal" });
    expect(await store.sessions().get(acc.phone)).toMatchObject({ twoFa: { hasPassword: true } });
    expect(await auditOf(acc.phone)).toEqual(["session.2fa-set: set (the account had none)"]);
    // `show` and `show --json` (the shape of `list --json`) say so at once, before any check.
    expect((await runCli(["show", acc.phone], { env })).stdout).toMatch(/2FA password\s+set \(seen/);
    const json = JSON.parse((await runCli(["show", acc.phone, "--json"], { env })).stdout) as {
      twoFa: unknown;
    };
    expect(json.twoFa).toMatchObject({ hasPassword: true });
    expect(await loginWith(acc.phone, "wrong guess")).toBe("wrong-password");
    expect(await h.another().login.submitPassword(acc.phone, "blue giraffe 42")).toMatchObject({
      kind: "logged-in",
    });
  });

  it("at a terminal: hidden input, the current password asked first, then the new one twice and a hint", async () => {
    const acc = await seedDcSession(h, { password: "tulip 1987", passwordHint: "flower and year" });

    const r = await runInTerminal(
      ["2fa", "set", acc.phone],
      [
        ["Current 2FA password (not shown): ", "tulip 1987"],
        ["New 2FA password (not shown): ", "orchid 2026"],
        ["The new password again (not shown): ", "orchid 2026"],
        ["Hint, shown at login to anyone (optional; Enter for none): ", ""],
      ],
    );

    expect(r.code).toBe(0);
    expect(r.screen).toContain(
      `${acc.phone} has a 2FA password (hint: flower and year); changing it needs the current one.`,
    );
    expect(r.screen).toContain(`Changed: ${acc.phone} has a 2FA password now`);
    expect(r.screen).not.toContain("tulip 1987");
    expect(r.screen).not.toContain("orchid 2026");
    expect(dc.passwordState(acc.phone)).toEqual({ hasPassword: true });
    expect(await auditOf(acc.phone)).toEqual(["session.2fa-set: changed"]);
    expect(await loginWith(acc.phone, "tulip 1987")).toBe("wrong-password");
    expect(await h.another().login.submitPassword(acc.phone, "orchid 2026")).toMatchObject({
      kind: "logged-in",
    });
  });

  it("a wrong current password changes nothing: exit 1 with the hint, the old password still logs in", async () => {
    const acc = await seedDcSession(h, { password: "old secret 3", passwordHint: "old" });

    const r = await runCli(["2fa", "set", acc.phone], {
      env,
      input: "not the password\nattacker pick\nattacker pick\n\n",
    });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The current password is wrong (hint: old); nothing was changed.");
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/not the password|attacker pick|old secret 3/);
    expect(dc.passwordState(acc.phone)).toEqual({ hasPassword: true, hint: "old" });
    expect(await store.sessions().get(acc.phone)).toMatchObject({ status: "active", consecutiveFailures: 0 });
    expect(await auditOf(acc.phone)).toEqual([]);
    expect(await loginWith(acc.phone, "old secret 3")).toBe("logged-in");
  });

  it("two different new passwords, an empty one, or a wrong action change nothing", async () => {
    const acc = await seedDcSession(h);
    expect((await runCli(["show", acc.phone], { env })).stdout).toMatch(/2FA password\s+not read yet/);

    const differ = await runCli(["2fa", "set", acc.phone], { env, input: "first try\nsecond try\n\n" });
    expect(differ.code).toBe(2);
    expect(differ.stderr).toContain("The two new passwords differ; nothing was changed.");
    expect(`${differ.stdout}${differ.stderr}`).not.toMatch(/first try|second try/);
    const empty = await runCli(["2fa", "set", acc.phone], { env, input: "\n" });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("The new password is empty; nothing was changed.");
    const verb = await runCli(["2fa", "clear", acc.phone], { env });
    expect(verb.code).toBe(2);
    expect(verb.stderr).toContain('Unknown action "clear"');

    expect(dc.passwordState(acc.phone)).toEqual({ hasPassword: false });
    expect(await auditOf(acc.phone)).toEqual([]);
  });
});
