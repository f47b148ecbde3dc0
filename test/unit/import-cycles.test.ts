/**
 * Imports run one way (DESIGN.md): no module of lib/, functions/, infra/ or bin/ may reach itself through its
 * imports. A cycle makes the modules in it one unit in disguise: none can be read, tested or moved without the
 * others, and under CommonJS one of them sees the other half-initialised.
 *
 * Every relative module reference counts, type-only ones included (`import type`, `export type … from`): the cycle
 * this test was written for (lib/cli: command.ts → context.ts → errors.ts → command.ts) ran through an
 * `import type`, and a type-only cycle ties the files together for a reader just as much. Lazy loads (`import()`,
 * `require()` inside a function) count too: they defer the cost, not the dependency. Packages are not followed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const FOLDERS = ["lib", "functions", "infra", "bin"];
const SOURCE = /\.(ts|js|mjs|cjs)$/;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === "node_modules" || name === "cdk.out" ? [] : sourceFiles(path);
    return SOURCE.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every module specifier a file names: static imports and re-exports, `import x = require()`, `import()`, `require()`. */
export function specifiersOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1) {
      const [arg] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if ((isImport || isRequire) && arg && ts.isStringLiteralLike(arg)) found.push(arg.text);
    } else if (ts.isImportTypeNode(node)) {
      // `typeof import("./x")` in a type position.
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) found.push(arg.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names (`./x`, `./x.js` → x.ts, `./dir` → dir/index.ts), or undefined. */
function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(js|mjs|cjs)$/, "");
  const candidates = [
    base,
    `${stem}.ts`,
    `${base}.ts`,
    `${base}.js`,
    join(base, "index.ts"),
    join(base, "index.js"),
  ];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

export type ImportGraph = ReadonlyMap<string, readonly string[]>;

function buildGraph(): ImportGraph {
  const files = FOLDERS.flatMap((f) => sourceFiles(join(ROOT, f)));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = specifiersOf(file, readFileSync(file, "utf8"))
      .map((s) => resolveRelative(file, s))
      .filter((t): t is string => t !== undefined)
      .map((t) => relative(ROOT, t));
    graph.set(relative(ROOT, file), [...new Set(targets)]);
  }
  return graph;
}

/** The cycles of a graph, one per strongly connected component, each as a path that starts and ends at one file. */
export function findCycles(graph: ImportGraph): string[][] {
  // Tarjan's strongly connected components (recursive: the import chains here are a few dozen deep at most).
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return components.map((component) => cycleThrough(graph, new Set(component)));
}

/** One concrete cycle inside a strongly connected component: the shortest way from its first file back to it. */
function cycleThrough(graph: ImportGraph, component: ReadonlySet<string>): string[] {
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at = v; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

describe("imports run one way", () => {
  it("no module of lib/, functions/, infra/ or bin/ imports itself through others", () => {
    const graph = buildGraph();
    // A parser that found nothing would find no cycle either: make sure the graph is the real one.
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("functions/admin-bot.ts")?.length).toBeGreaterThan(3);
    const cycles = findCycles(graph).map((c) => c.join(" → "));
    expect(
      cycles,
      "import cycles: break each one (move the shared piece into a module both can import)",
    ).toEqual([]);
  });

  it("counts type-only imports, re-exports and lazy loads, and finds a cycle through them", () => {
    const text = [
      'import type { A } from "./a";',
      'export { B } from "../b.js";',
      'const c = () => import("./c");',
      'const d = require("./d");',
      'type E = typeof import("./e");',
      'import "node:fs";',
    ].join("\n");
    expect(specifiersOf("x.ts", text)).toEqual(["./a", "../b.js", "./c", "./d", "./e", "node:fs"]);
    const graph = new Map([
      ["command.ts", ["context.ts"]],
      ["context.ts", ["errors.ts", "format.ts"]],
      ["errors.ts", ["command.ts"]],
      ["format.ts", []],
      ["self.ts", ["self.ts"]],
    ]);
    expect(findCycles(graph)).toEqual(
      expect.arrayContaining([
        ["command.ts", "context.ts", "errors.ts", "command.ts"],
        ["self.ts", "self.ts"],
      ]),
    );
    expect(
      findCycles(
        new Map([
          ["a.ts", ["b.ts"]],
          ["b.ts", []],
        ]),
      ),
    ).toEqual([]);
  });
});
