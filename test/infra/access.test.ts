/**
 * Least privilege on the bot-state table: each function's role is read back from the synthesized template and asked,
 * like IAM would be, whether it may do one thing to one item. A worker that parses Telegram's replies must not be
 * able to make anyone an admin, erase the audit trail or touch a login flow.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { BOT_STATE_ACCESS, BOT_STATE_FAMILIES } from "../../infra/access";
import { functionByDescription, resources, synthesize, type Statement, type Synthesized } from "./synth";

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

const ROLES = {
  adminBot: "AdminBot",
  dispatch: "queues every active session",
  worker: "checks a batch of sessions",
  cleanup: "deletes error sessions",
} as const;
type Fn = keyof typeof ROLES;

function statementsOf(fn: Fn): Statement[] {
  const [, props] = functionByDescription(s.serviceTemplate, ROLES[fn]);
  const role = (props.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  return Object.values(resources(s.serviceTemplate, "AWS::IAM::Policy"))
    .filter((p) => (p.Properties?.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

const onBotState = (st: Statement) =>
  JSON.stringify(st.Resource).includes("BotStateTable") && !JSON.stringify(st.Resource).includes("index");

/** IAM's StringLike: `*` is any run of characters, `?` one character. */
function like(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(value);
}

const onSessions = (st: Statement) =>
  JSON.stringify(st.Resource).includes("SessionsTable") && !JSON.stringify(st.Resource).includes("index");

/** Whether `fn` may call `action` on the bot-state item with partition key `pk` (undefined: no key, a Scan). */
function allows(
  fn: Fn,
  action: string,
  pk: string | undefined,
  on: (st: Statement) => boolean = onBotState,
): boolean {
  return statementsOf(fn).some((st) => {
    if (st.Effect !== "Allow" || !on(st)) return false;
    const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
    if (!actions.includes(`dynamodb:${action}`)) return false;
    const cond = st.Condition ?? {};
    const patterns = cond["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] as string[] | undefined;
    const mustHaveKey = cond.Null?.["dynamodb:LeadingKeys"] === "false";
    if (pk === undefined) return !mustHaveKey;
    return patterns === undefined || patterns.some((p) => like(p, pk));
  });
}

// One real key of each family, as the owning module writes it.
const KEYS = {
  admins: "ADMIN",
  audit: "AUDIT#2026-12-02",
  loginFlows: "LOGIN#+14155550100",
  qrFlows: "LOGIN#QR#123456789",
  updates: "UPDATE#7000000001#987654321",
  strangers: "STRANGER#555",
  pages: "PAGE#a1b2",
  input: "INPUT#123456789",
  botInfo: "BOTINFO",
  runs: "RUN#2026-12-02T03:00:00Z",
  runList: "RUNS",
  cleanups: "CLEANUPS",
} as const;

const WRITES = ["PutItem", "UpdateItem", "DeleteItem"] as const;

describe("the bot-state table, function by function", () => {
  it("grants every bot-state action under a partition-key condition, never on the whole table", () => {
    for (const fn of Object.keys(ROLES) as Fn[]) {
      const onTable = statementsOf(fn).filter(onBotState);
      expect(onTable.length, fn).toBeGreaterThan(0);
      for (const st of onTable.filter((x) => JSON.stringify(x.Action).includes("dynamodb:")))
        expect(st.Condition, fn).toMatchObject({
          "ForAllValues:StringLike": { "dynamodb:LeadingKeys": expect.any(Array) },
          Null: { "dynamodb:LeadingKeys": "false" },
        });
    }
  });

  it("lets only the AdminBot change the admin list; the jobs may only read it", () => {
    for (const action of WRITES) {
      expect(allows("adminBot", action, KEYS.admins), action).toBe(true);
      for (const fn of ["dispatch", "worker", "cleanup"] as const)
        expect(allows(fn, action, KEYS.admins), `${fn} ${action}`).toBe(false);
    }
    expect(allows("worker", "Query", KEYS.admins)).toBe(true);
    expect(allows("dispatch", "Query", KEYS.admins)).toBe(true);
    expect(allows("cleanup", "Query", KEYS.admins)).toBe(false);
  });

  it("lets every writer append to the audit trail, and nobody delete, change or read it", () => {
    for (const fn of ["adminBot", "worker", "cleanup"] as const)
      expect(allows(fn, "PutItem", KEYS.audit), fn).toBe(true);
    expect(allows("dispatch", "PutItem", KEYS.audit)).toBe(false);
    for (const fn of Object.keys(ROLES) as Fn[])
      for (const action of ["DeleteItem", "UpdateItem", "Query", "GetItem"])
        expect(allows(fn, action, KEYS.audit), `${fn} ${action}`).toBe(false);
  });

  it("keeps login flows (temporary auth keys) to the AdminBot", () => {
    for (const key of [KEYS.loginFlows, KEYS.qrFlows])
      for (const action of ["GetItem", ...WRITES]) {
        expect(allows("adminBot", action, key), action).toBe(true);
        for (const fn of ["dispatch", "worker", "cleanup"] as const)
          expect(allows(fn, action, key), `${fn} ${action} ${key}`).toBe(false);
      }
  });

  it("keeps the webhook's own bookkeeping (update marks, strangers, pages, typed input, bot info) to the AdminBot", () => {
    for (const key of [KEYS.updates, KEYS.strangers, KEYS.pages, KEYS.input, KEYS.botInfo]) {
      expect(allows("adminBot", "PutItem", key), key).toBe(true);
      for (const fn of ["dispatch", "worker", "cleanup"] as const)
        for (const action of ["GetItem", ...WRITES])
          expect(allows(fn, action, key), `${fn} ${action} ${key}`).toBe(false);
    }
  });

  it("lets the health check keep its run records without deleting them, and nobody else touch them", () => {
    for (const fn of ["dispatch", "worker"] as const) {
      for (const action of ["GetItem", "Query", "PutItem", "UpdateItem"])
        expect(allows(fn, action, KEYS.runs), `${fn} ${action}`).toBe(true);
      expect(allows(fn, "DeleteItem", KEYS.runs), fn).toBe(false);
    }
    // Only the dispatcher opens runs, so only it writes the list of runs.
    expect(allows("dispatch", "PutItem", KEYS.runList)).toBe(true);
    expect(allows("worker", "PutItem", KEYS.runList)).toBe(false);
    for (const fn of ["adminBot", "cleanup"] as const)
      expect(allows(fn, "PutItem", KEYS.runs), fn).toBe(false);
  });

  it("lets the AdminBot read the run records for 📈 Fleet, and neither write nor delete them", () => {
    for (const key of [KEYS.runs, KEYS.runList]) {
      expect(allows("adminBot", "GetItem", key), key).toBe(true);
      expect(allows("adminBot", "Query", key), key).toBe(true);
      for (const action of WRITES) expect(allows("adminBot", action, key), `${action} ${key}`).toBe(false);
    }
    // Reads only: no batch read a LeadingKeys condition would have to see through.
    expect(allows("adminBot", "BatchGetItem", KEYS.runs)).toBe(false);
    expect(allows("cleanup", "GetItem", KEYS.runs)).toBe(false);
  });

  it("lets the cleanup append its own record for the history, and no other function write it", () => {
    expect(allows("cleanup", "PutItem", KEYS.cleanups)).toBe(true);
    for (const action of ["DeleteItem", "UpdateItem"])
      expect(allows("cleanup", action, KEYS.cleanups), action).toBe(false);
    for (const fn of ["adminBot", "dispatch", "worker"] as const)
      expect(allows(fn, "PutItem", KEYS.cleanups), fn).toBe(false);
  });

  it("lets nothing through without a partition key (a Scan, or a batch the condition cannot see)", () => {
    for (const fn of Object.keys(ROLES) as Fn[])
      for (const action of ["Scan", "GetItem", "PutItem", "BatchWriteItem"])
        expect(allows(fn, action, undefined), `${fn} ${action}`).toBe(false);
  });

  it("covers every family some function uses with a key pattern, and every pattern names one family", () => {
    const used = new Set(Object.values(BOT_STATE_ACCESS).flatMap((grants) => grants.map((g) => g.family)));
    expect([...used].sort()).toEqual(Object.keys(BOT_STATE_FAMILIES).sort());
    for (const [family, key] of Object.entries(KEYS)) {
      const owners = Object.entries(BOT_STATE_FAMILIES).filter(([, patterns]) =>
        patterns.some((p) => like(p, key)),
      );
      expect(owners.length, family).toBe(1);
    }
  });
});

describe("the sessions table: the session rows and the fleet counter", () => {
  const SESSION = "+998901234567";
  const COUNTER = "COUNTS#fleet";
  const inSessions = (fn: Fn, action: string, pk: string | undefined) => allows(fn, action, pk, onSessions);

  it("grants every action on the sessions table's items under a partition-key condition", () => {
    for (const fn of Object.keys(ROLES) as Fn[]) {
      const onTable = statementsOf(fn).filter(onSessions);
      expect(onTable.length, fn).toBeGreaterThan(0);
      for (const st of onTable.filter((x) => JSON.stringify(x.Action).includes("dynamodb:")))
        expect(st.Condition, fn).toMatchObject({
          "ForAllValues:StringLike": { "dynamodb:LeadingKeys": expect.any(Array) },
          Null: { "dynamodb:LeadingKeys": "false" },
        });
      for (const action of ["Scan", "GetItem", "UpdateItem"])
        expect(inSessions(fn, action, undefined), `${fn} ${action} without a key`).toBe(false);
    }
  });

  it("lets every function that changes a session's status update the counter in the same transaction", () => {
    for (const fn of ["adminBot", "worker", "cleanup"] as const) {
      expect(inSessions(fn, "UpdateItem", SESSION), fn).toBe(true);
      expect(inSessions(fn, "UpdateItem", COUNTER), fn).toBe(true);
      expect(inSessions(fn, "GetItem", COUNTER), fn).toBe(true);
    }
    // Only logins create sessions.
    expect(inSessions("adminBot", "PutItem", SESSION)).toBe(true);
    for (const fn of ["dispatch", "worker", "cleanup"] as const)
      expect(inSessions(fn, "PutItem", SESSION), fn).toBe(false);
  });

  it("lets the dispatcher only read (the rows it queues, the counts of a run it closes)", () => {
    expect(inSessions("dispatch", "GetItem", SESSION)).toBe(true);
    expect(inSessions("dispatch", "GetItem", COUNTER)).toBe(true);
    for (const action of WRITES) {
      expect(inSessions("dispatch", action, SESSION), action).toBe(false);
      expect(inSessions("dispatch", action, COUNTER), action).toBe(false);
    }
  });

  it("lets no function put or delete the counter (only the operator's repair sets it whole)", () => {
    for (const fn of Object.keys(ROLES) as Fn[])
      for (const action of ["PutItem", "DeleteItem"])
        expect(inSessions(fn, action, COUNTER), `${fn} ${action}`).toBe(false);
  });
});

describe("the cleanup, which logs each key out at Telegram before destroying it", () => {
  const resourcesOf = (fn: Fn, action: string) =>
    statementsOf(fn)
      .filter((st) => st.Effect === "Allow" && [st.Action].flat().includes(action))
      .map((st) => JSON.stringify(st.Resource));

  it("may query the sessions table's byStatus (old errors) and byRevocation (pending logouts) indexes", () => {
    const queried = resourcesOf("cleanup", "dynamodb:Query").join(" ");
    expect(queried).toContain("/index/byStatus");
    expect(queried).toContain("/index/byRevocation");
    // The dispatcher reads active sessions only: no pending logouts.
    expect(resourcesOf("dispatch", "dynamodb:Query").join(" ")).not.toContain("byRevocation");
  });

  it("the worker may query byStatus: the batch that ends a run counts the fleet by status for the summary", () => {
    expect(resourcesOf("worker", "dynamodb:Query").join(" ")).toContain("/index/byStatus");
    expect(resourcesOf("worker", "dynamodb:Query").join(" ")).not.toContain("byRevocation");
  });

  it("may read the app secret (the API id and hash a logout connects with), and not the webhook secret", () => {
    const read = resourcesOf("cleanup", "secretsmanager:GetSecretValue").join(" ");
    expect(read).toContain("AppSecret");
    expect(read).not.toContain("WebhookSecret");
  });
});
