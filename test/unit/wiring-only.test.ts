/**
 * One place builds the dependencies (issue 15, DESIGN.md): the Lambda handlers, the CLI (every command, doctor and
 * the run records included) and `npm run dev` ask lib/wiring.ts. This reads their sources and fails on any that
 * makes a DynamoDB client, a cipher or a repository of its own, so a changed option is wired once.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const ENTRY_POINTS = ["functions", "lib/cli", "infra/local"];

/**
 * Files allowed to make a client: infra/local/dynamodb-local.ts starts the DynamoDB Local process and asks it whether
 * it is up yet (orchestration, before any store exists).
 */
const ALLOWED = new Set(["infra/local/dynamodb-local.ts"]);

const BUILDS =
  /\bnew (SessionRepository|AdminRepository|AuditLog|ChatMemory|HealthCheckRuns|CleanupLog|EnvelopeCipher|LocalKeyProvider|KmsKeyProvider|DynamoDBClient|KMSClient)\b|\b(createDynamoClient|createDocumentClient|createCipher|createKeyProvider|lazyKeyProvider|loadStoreConfig)\(/g;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith(".ts") ? [path] : [];
  });
}

describe("the entry points", () => {
  it("build no client, cipher or repository themselves: they ask lib/wiring.ts", () => {
    const found: string[] = [];
    for (const dir of ENTRY_POINTS)
      for (const file of files(resolve(ROOT, dir))) {
        const name = relative(ROOT, file);
        if (ALLOWED.has(name)) continue;
        for (const m of readFileSync(file, "utf8").matchAll(BUILDS)) found.push(`${name}: ${m[0]}`);
      }
    expect(found).toEqual([]);
  });
});
