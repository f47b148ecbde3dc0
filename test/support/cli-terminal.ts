/**
 * A conversation with the real `sessions` CLI in a real pseudo-terminal (util-linux `script`), as an operator at a
 * keyboard: each time the next expected prompt shows on the screen, its answer is typed (then Enter). A `\u0003`
 * answer is Ctrl-C, which the terminal turns into SIGINT (cooked mode) or a byte (raw mode), as a keyboard would.
 */
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { BIN } from "./cli-run";

export interface Exchange {
  readonly prompt: string;
  readonly answer: string;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function converseInTerminal(
  args: string[],
  options: { env: NodeJS.ProcessEnv; exchanges: readonly Exchange[] },
): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolvePromise, reject) => {
    const commandLine = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
    const child = spawn("script", ["-qec", commandLine, "/dev/null"], {
      env: { ...options.env, SHELL: "/bin/sh", TERM: "dumb" },
      cwd: tmpdir(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    let next = 0;
    // Where on the screen the next prompt is looked for: after the previous one, so a repeated prompt counts again.
    let from = 0;
    const answer = () => {
      const exchange = options.exchanges[next];
      if (!exchange) return;
      const at = screen.indexOf(exchange.prompt, from);
      if (at < 0) return;
      next += 1;
      from = at + exchange.prompt.length;
      child.stdin.write(exchange.answer === "\u0003" ? exchange.answer : `${exchange.answer}\r`);
      answer();
    };
    child.stdout.on("data", (d: Buffer) => {
      screen += d.toString();
      answer();
    });
    child.stderr.on("data", (d: Buffer) => (screen += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, screen: screen.replace(/\r\n/g, "\n") }));
  });
}
