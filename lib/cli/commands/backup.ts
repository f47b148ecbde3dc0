/**
 * `sessions backup`: the runbook's "back up the database" before anything is removed.
 *
 * - Deployed stack: an on-demand DynamoDB backup of each table (CreateBackup), restorable from the console.
 * - Local stack: a JSON export of both tables into `<LOCAL_DATA_DIR>/backups/<time>/`, one DynamoDB-JSON item per
 *   line. An export rather than a copy of DynamoDB Local's data folder, because it reads through the API: it is
 *   consistent item by item while `npm run dev` keeps writing (a file copy under a running JVM can catch a
 *   half-written page), it works wherever DYNAMODB_ENDPOINT points (an in-memory DynamoDB Local too), and it is
 *   plain text that a few lines of BatchWriteItem restore. It scans, which is fine for a one-off operator action;
 *   nothing on a schedule or a button does.
 */
import {
  CreateBackupCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { closeSync, mkdirSync, openSync, writeSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "../command";
import { plural } from "../format";

function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}

/** Writes every item of `table` as one line of DynamoDB JSON; returns how many. */
async function exportTable(client: DynamoDBClient, table: string, file: string): Promise<number> {
  const fd = openSync(file, "wx", 0o600);
  let items = 0;
  try {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await client.send(
        new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      for (const item of out.Items ?? []) {
        writeSync(fd, `${JSON.stringify(item)}\n`);
        items++;
      }
      start = out.LastEvaluatedKey;
    } while (start);
  } finally {
    closeSync(fd);
  }
  return items;
}

/** A fresh folder under `root` named by the time (with -2, -3… if two backups start in the same second). */
function newBackupFolder(root: string, now: Date): string {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  for (let n = 1; ; n++) {
    const dir = join(root, `${stamp(now)}${n > 1 ? `-${n}` : ""}`);
    try {
      mkdirSync(dir, { mode: 0o700 });
      return dir;
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
    }
  }
}

export const command: Command = {
  name: "backup",
  description: [
    "Deployed stack: starts an on-demand DynamoDB backup of the sessions and bot-state tables and prints their ARNs",
    "(restore from the DynamoDB console, or `aws dynamodb restore-table-from-backup`).",
    "Local stack: exports both tables as JSON lines into <LOCAL_DATA_DIR>/backups/<time>/ (default .data/backups).",
    "Session strings stay encrypted in the backup; keep the key that opens them (KMS, or the local",
    ".data/session-encryption.key / SESSION_ENCRYPTION_KEY), which is not copied into it.",
  ].join("\n"),
  options: { json: { type: "boolean", help: "print what was backed up as JSON for scripts (shape below)" } },
  examples: [
    "sessions backup",
    "sessions backup --json | jq -r .folder",
    "SESSIONS_TABLE=… BOT_STATE_TABLE=… AWS_REGION=… sessions backup",
  ],
  notes: [
    "JSON shape (--json):",
    '  local:    { "target": "local", "folder": "/…/backups/<time>", "tables": [ { "table": "…", "items": 0 } ] }',
    '  deployed: { "target": "aws", "backups": [ { "table": "…", "backupArn": "arn:…" | null } ] }',
  ].join("\n"),
  async run(ctx, args) {
    const json = args.values.json === true;
    const { config, client } = await ctx.store();
    const tables = [config.sessionsTable, config.botStateTable];
    const now = new Date();
    if (config.target === "aws") {
      const backups: { table: string; backupArn: string | null }[] = [];
      for (const table of tables) {
        const out = await client.send(
          new CreateBackupCommand({ TableName: table, BackupName: `${table}-${stamp(now)}` }),
        );
        const arn = out.BackupDetails?.BackupArn ?? null;
        backups.push({ table, backupArn: arn });
        if (!json) ctx.out(`Backup of ${table} started: ${arn ?? "(no ARN returned)"}`);
      }
      if (json) ctx.out(JSON.stringify({ target: "aws", backups }, null, 2));
      else ctx.out("On-demand backups are kept until you delete them.");
      return 0;
    }
    const dir = newBackupFolder(resolve(config.dataDir, "backups"), now);
    const counts: Record<string, number> = {};
    for (const table of tables) counts[table] = await exportTable(client, table, join(dir, `${table}.jsonl`));
    writeFileSync(
      join(dir, "manifest.json"),
      `${JSON.stringify(
        {
          createdAt: now.toISOString(),
          endpoint: config.endpoint,
          format: "one DynamoDB JSON item (AttributeValue map) per line, one file per table",
          tables: counts,
        },
        null,
        2,
      )}\n`,
      { mode: 0o600, flag: "wx" },
    );
    if (json) {
      ctx.out(
        JSON.stringify(
          { target: "local", folder: dir, tables: tables.map((t) => ({ table: t, items: counts[t]! })) },
          null,
          2,
        ),
      );
      return 0;
    }
    ctx.out(`Backed up ${tables.map((t) => `${t} (${plural(counts[t]!, "item")})`).join(" and ")} to ${dir}`);
    ctx.out(
      "Session strings in it are encrypted; keep the local key (.data/session-encryption.key or SESSION_ENCRYPTION_KEY) too.",
    );
    return 0;
  },
};
