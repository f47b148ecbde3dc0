/**
 * The one test that really bundles: the four functions as `cdk synth` builds them, compared file by file and byte for
 * byte with a direct esbuild build from `infra/bundling.ts`, which is what the benchmark uses to load "the same files".
 */
import { build } from "esbuild";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  esbuildOptions,
  ENTRY_POINTS,
  handlerFile,
  SPLIT_FUNCTIONS,
  type FunctionName,
} from "../../infra/bundling";
import { functionByDescription, synthesize, type Synthesized } from "./synth";

const DESCRIPTIONS: Record<FunctionName, string> = {
  adminBot: "AdminBot",
  healthCheckDispatch: "queues every active session",
  healthCheckWorker: "checks a batch of sessions",
  cleanup: "deletes error sessions",
};

let outdir: string;
let s: Synthesized;
beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), "session-keeper-synth-"));
  s = synthesize({ bundle: true, outdir });
}, 180_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The asset folder the template's function code points at (`<hash>.zip` is uploaded from `asset.<hash>/`). */
function assetDir(name: FunctionName): string {
  const [, props] = functionByDescription(s.serviceTemplate, DESCRIPTIONS[name]);
  const key = String((props.Code as { S3Key: string }).S3Key);
  return path.join(outdir, `asset.${key.replace(/\.zip$/, "")}`);
}

/** Every file under `dir`, by its path relative to it. */
function filesOf(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => statSync(path.join(dir, f)).isFile())
      .map((f) => [f, readFileSync(path.join(dir, f))]),
  );
}

describe("the function bundles", () => {
  it.each(Object.keys(ENTRY_POINTS) as FunctionName[])(
    "%s: the synthesized asset is what esbuildOptions() builds, minified, with source maps",
    async (name) => {
      const file = handlerFile(name);
      const synthesized = filesOf(assetDir(name));
      // Beside the synthesized assets, at the same depth: source maps name their sources relative to their own
      // folder, and chunk names carry a hash of the output, maps included.
      const direct = mkdtempSync(path.join(outdir, "direct-"));
      try {
        await build(esbuildOptions(name, direct));
        const built = filesOf(direct);
        expect([...synthesized.keys()].sort()).toEqual([...built.keys()].sort());
        for (const [f, content] of built) expect(content.equals(synthesized.get(f)!), f).toBe(true);
      } finally {
        rmSync(direct, { recursive: true, force: true });
      }
      const code = synthesized.get(file)!.toString("utf8");
      if (SPLIT_FUNCTIONS.includes(name)) {
        // ES modules (index.mjs, as Lambda's index.handler finds it) with the heavy parts in chunk files.
        expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
        expect([...synthesized.keys()].some((f) => f.startsWith("chunks/"))).toBe(true);
      } else {
        expect(code).toMatch(/module\.exports/); // CommonJS, as Lambda's index.handler expects
      }
      expect(code).toContain(`//# sourceMappingURL=${file}.map`);
      expect(synthesized.get(`${file}.map`)?.length).toBeGreaterThan(0);
      // Minified: long lines (the few line breaks left are inside string literals).
      expect(code.length / code.split("\n").length).toBeGreaterThan(300);
      const total = [...synthesized]
        .filter(([f]) => !f.endsWith(".map"))
        .reduce((n, [, c]) => n + c.length, 0);
      console.log(`bundle ${name}: ${total} bytes (${file} ${code.length})`);
    },
    60_000,
  );
});
