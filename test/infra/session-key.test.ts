/**
 * The session key's policy, read back from the template and asked the way KMS would be: who may open a session
 * (Decrypt), who may seal one (GenerateDataKey), who may administer the key. An account administrator must not be
 * able to open sessions without going through the operator role (break-glass, logged as an AssumeRole).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { KEY_ADMINISTRATION_ACTIONS } from "../../infra/constructs/session-key";
import { ACCOUNT, resources, synthesize, type Synthesized } from "./synth";

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

interface KeyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal: { AWS: unknown };
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** Fn::Join of strings and `Ref AWS::Partition`, as CDK writes ARNs, to the string it deploys as. */
function text(v: unknown): string {
  if (typeof v === "string") return v;
  const o = v as { "Fn::Join"?: [string, unknown[]]; Ref?: string };
  if (o.Ref === "AWS::Partition") return "aws";
  if (o["Fn::Join"]) return o["Fn::Join"][1].map(text).join(o["Fn::Join"][0]);
  throw new Error(`Cannot read ${JSON.stringify(v)}`);
}
const texts = (v: unknown) => (Array.isArray(v) ? v.map(text) : [text(v)]);

function sessionKeyPolicy(template = s.statefulTemplate): KeyStatement[] {
  const key = Object.values(resources(template, "AWS::KMS::Key")).find((k) =>
    String(k.Properties?.Description).includes("session strings"),
  );
  return (key?.Properties?.KeyPolicy as { Statement: KeyStatement[] }).Statement;
}

const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const SESSION_CONTEXT = { app: "session-keeper" };

/**
 * Whether the key policy lets `principalArn` (an identity of the account) call `action` with `context`. Principal
 * "the account" means: any identity of the account, if its IAM policy agrees (checked elsewhere), and if the
 * statement's conditions hold.
 */
function keyPolicyAllows(
  principalArn: string,
  action: string,
  context: Record<string, string> = SESSION_CONTEXT,
  policy = sessionKeyPolicy(),
): boolean {
  const matchesAction = (st: KeyStatement) =>
    texts(st.Action).some((a) => a === action || (a.endsWith("*") && action.startsWith(a.slice(0, -1))));
  const matchesPrincipal = (st: KeyStatement) =>
    texts(st.Principal.AWS).some((p) => p === "*" || (p === ROOT && principalArn.includes(`::${ACCOUNT}:`)));
  const conditionsHold = (st: KeyStatement) =>
    Object.entries(st.Condition ?? {}).every(([op, entries]) =>
      Object.entries(entries).every(([key, want]) => {
        const wanted = texts(want);
        const got =
          key === "aws:PrincipalArn" ? principalArn : context[key.replace("kms:EncryptionContext:", "")];
        if (op === "StringEquals" || op === "ArnEquals") return got !== undefined && wanted.includes(got);
        if (op === "StringNotEquals") return got === undefined || !wanted.includes(got);
        throw new Error(`Unexpected condition operator ${op}`);
      }),
    );
  const applies = (st: KeyStatement) => matchesAction(st) && matchesPrincipal(st) && conditionsHold(st);
  const policyStatements = policy;
  if (policyStatements.some((st) => st.Effect === "Deny" && applies(st))) return false;
  return policyStatements.some((st) => st.Effect === "Allow" && applies(st));
}

const USE = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:CreateGrant"];
const ROLES = {
  adminBot: role("SessionKeeper-adminBot-eu-central-1"),
  worker: role("SessionKeeper-healthCheckWorker-eu-central-1"),
  dispatch: role("SessionKeeper-healthCheckDispatch-eu-central-1"),
  cleanup: role("SessionKeeper-cleanup-eu-central-1"),
  operator: role("SessionKeeper-operator-eu-central-1"),
  accountAdmin: role("Administrator"),
};

describe("the session key's policy", () => {
  it("no longer trusts the account with kms:* (CDK's default): no statement allows every action", () => {
    for (const st of sessionKeyPolicy()) expect(texts(st.Action), st.Sid).not.toContain("kms:*");
  });

  it("lets an account administrator administer the key, including deleting and rescuing it, but never use it", () => {
    for (const action of [
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:CancelKeyDeletion",
      "kms:DescribeKey",
    ])
      expect(keyPolicyAllows(ROLES.accountAdmin, action), action).toBe(true);
    for (const action of USE) expect(keyPolicyAllows(ROLES.accountAdmin, action), action).toBe(false);
    expect(keyPolicyAllows(ROOT, "kms:Decrypt")).toBe(false);
    // The administration list itself holds no use and no grant-making (a grant is a side door to use).
    for (const action of KEY_ADMINISTRATION_ACTIONS)
      expect(/Encrypt|Decrypt|GenerateDataKey|CreateGrant|\*/.test(action), action).toBe(false);
  });

  it("lets the AdminBot and the operator role seal sessions, and nobody else", () => {
    expect(keyPolicyAllows(ROLES.adminBot, "kms:GenerateDataKey")).toBe(true);
    expect(keyPolicyAllows(ROLES.operator, "kms:GenerateDataKey")).toBe(true);
    for (const who of ["worker", "dispatch", "cleanup", "accountAdmin"] as const)
      expect(keyPolicyAllows(ROLES[who], "kms:GenerateDataKey"), who).toBe(false);
  });

  it("lets the AdminBot, the worker, the cleanup (it logs keys out) and the operator role open sessions; dispatch cannot", () => {
    for (const who of ["adminBot", "worker", "cleanup", "operator"] as const)
      expect(keyPolicyAllows(ROLES[who], "kms:Decrypt"), who).toBe(true);
    for (const who of ["dispatch", "accountAdmin"] as const)
      expect(keyPolicyAllows(ROLES[who], "kms:Decrypt"), who).toBe(false);
  });

  it("refuses even a key user a call without the encryption context app=session-keeper", () => {
    expect(keyPolicyAllows(ROLES.worker, "kms:Decrypt", {})).toBe(false);
    expect(keyPolicyAllows(ROLES.operator, "kms:Decrypt", { app: "other" })).toBe(false);
  });

  it("names the same roles the service stack gives the functions", () => {
    const names = Object.values(resources(s.serviceTemplate, "AWS::IAM::Role"))
      .map((r) => r.Properties?.RoleName)
      .filter((n): n is string => typeof n === "string");
    for (const who of ["adminBot", "worker", "dispatch", "cleanup"] as const)
      expect(names).toContain(ROLES[who].split("/")[1]);
  });
});

describe("the operator role", () => {
  function operatorRole(template = s.statefulTemplate) {
    const found = Object.values(resources(template, "AWS::IAM::Role")).find(
      (r) => r.Properties?.RoleName === "SessionKeeper-operator-eu-central-1",
    );
    expect(found).toBeDefined();
    return found!.Properties as { AssumeRolePolicyDocument: { Statement: KeyStatement[] } };
  }

  it("is assumable by the deployment's account by default (each identity's own IAM policy decides who)", () => {
    const trust = operatorRole().AssumeRolePolicyDocument.Statement;
    expect(trust.flatMap((st) => texts(st.Principal.AWS))).toEqual([ROOT]);
    expect(s.statefulTemplate.findOutputs("OperatorRoleArn")).toHaveProperty("OperatorRoleArn");
  });

  it("is assumable only by the principals named in operatorPrincipals when set", () => {
    const alice = `arn:aws:iam::${ACCOUNT}:role/OpsAlice`;
    const other = "210987654321";
    const named = synthesize({ context: { operatorPrincipals: `${alice}, ${other}` } });
    const trust = operatorRole(named.statefulTemplate).AssumeRolePolicyDocument.Statement;
    expect(trust.flatMap((st) => texts(st.Principal.AWS)).sort()).toEqual(
      [alice, "arn:aws:iam::210987654321:root"].sort(),
    );
  });
});
