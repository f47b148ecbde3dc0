/**
 * The one test that really bundles: the four functions as `cdk synth` builds them, compared byte for byte with a
 * direct esbuild build from `infra/bundling.ts`, which is what the benchmark uses to load "the same files".
 */
import { build } from "esbuild";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { esbuildOptions, ENTRY_POINTS, type FunctionName } from "../../infra/bundling";
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

describe("the function bundles", () => {
  it.each(Object.keys(ENTRY_POINTS) as FunctionName[])(
    "%s: the synthesized asset is what esbuildOptions() builds, minified CommonJS with a source map",
    async (name) => {
      const synthesized = readFileSync(path.join(assetDir(name), "index.js"));
      const direct = mkdtempSync(path.join(tmpdir(), "session-keeper-esbuild-"));
      try {
        await build(esbuildOptions(name, direct));
        expect(readFileSync(path.join(direct, "index.js")).equals(synthesized)).toBe(true);
      } finally {
        rmSync(direct, { recursive: true, force: true });
      }
      const code = synthesized.toString("utf8");
      expect(code).toMatch(/module\.exports/); // CommonJS, as Lambda's index.handler expects
      expect(code).toContain("//# sourceMappingURL=index.js.map");
      expect(statSync(path.join(assetDir(name), "index.js.map")).size).toBeGreaterThan(0);
      // Minified: long lines (the few line breaks left are inside string literals).
      expect(code.length / code.split("\n").length).toBeGreaterThan(300);
      console.log(`bundle ${name}: ${synthesized.length} bytes`);
    },
    60_000,
  );
});
