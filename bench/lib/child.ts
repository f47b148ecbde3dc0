/**
 * Runs a small CommonJS program in a fresh `node` process (no tsx: nothing but Node and the bundle is loaded) and
 * returns the JSON it prints on its last `BENCH ` line. The program gets `env` on top of this process's environment.
 */
import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "../../infra/bundling";

export async function runNode<R>(
  program: string,
  env: Record<string, string>,
  options: { nodeArgs?: readonly string[]; timeoutMs?: number } = {},
): Promise<R> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "-e", program], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("BENCH "));
  if (code !== 0 || !line) {
    throw new Error(`benchmark child failed (exit ${code}):\n${stderr}\n${stdout.slice(-2000)}`);
  }
  return JSON.parse(line.slice("BENCH ".length)) as R;
}
