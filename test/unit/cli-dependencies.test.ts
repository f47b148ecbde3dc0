/**
 * `npm install --omit=dev` (an operator's box, a CI image) must give a working `sessions`: every package the CLI
 * loads, from `bin/sessions.js` through every command (also those loaded only when they run), is a runtime
 * dependency. esbuild follows the same imports Node would and reports each package it left outside.
 */
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { resolve } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe("the CLI runs from an install without dev dependencies", () => {
  it("needs only packages listed in dependencies (tsx included)", async () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const result = await build({
      entryPoints: [resolve(ROOT, "bin/sessions.js")],
      bundle: true,
      write: false,
      platform: "node",
      format: "cjs",
      packages: "external",
      metafile: true,
      logLevel: "silent",
    });
    const needed = new Set<string>();
    for (const input of Object.values(result.metafile.inputs))
      for (const imp of input.imports)
        if (imp.external && !imp.path.startsWith("node:") && !builtinModules.includes(imp.path))
          needed.add(packageName(imp.path));
    expect(needed).toContain("tsx");
    expect(needed).toContain("telegram");
    const missing = [...needed].filter((name) => !(name in pkg.dependencies)).sort();
    expect(missing).toEqual([]);
  });

  it("lists no runtime dependency that nothing uses", () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain("@aws-lambda-powertools/idempotency");
  });
});
