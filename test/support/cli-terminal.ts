/**
 * A conversation with the real `sessions` CLI in a real pseudo-terminal (util-linux `script`), as an operator at a
 * keyboard: each time the next expected prompt shows on the screen, its answer is typed (then Enter). A `\u0003`
 * answer is Ctrl-C, which the terminal turns into SIGINT (cooked mode) or a byte (raw mode), as a keyboard would.
 */
import { spawnInTerminal } from "./cli-run";

export interface Exchange {
  readonly prompt: string;
  readonly answer: string;
}

export function converseInTerminal(
  args: string[],
  options: { env: NodeJS.ProcessEnv; exchanges: readonly Exchange[] },
): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnInTerminal(args, options.env);
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
    child.stdout.on("data", (d: string) => {
      screen += d;
      answer();
    });
    child.stderr.on("data", (d: string) => (screen += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, screen: screen.replace(/\r\n/g, "\n") }));
  });
}

/** A `sessions` process in a pseudo-terminal, driven step by step: wait for text on the screen, type, press Ctrl-C. */
export interface TerminalSession {
  /** What the terminal has shown so far (stdout and stderr together, `\r\n` as `\n`). */
  screen(): string;
  /**
   * Resolves with the index just after the next `text` on the screen at or after `from` (default: after the last
   * match); rejects with the screen so far when it does not show within `timeoutMs` or the process ends first.
   */
  waitFor(text: string, options?: { from?: number; timeoutMs?: number }): Promise<number>;
  /** Types `text` and Enter. */
  type(text: string): void;
  /** Ctrl-C on the keyboard: SIGINT in cooked mode, the byte in raw mode (a hidden password prompt). */
  interrupt(): void;
  /** Ends the process (the terminal hangs up), if it still runs: for a test that failed half-way. */
  kill(): void;
  /** The exit code and the whole screen, once the process ended. */
  readonly exited: Promise<{ code: number | null; screen: string }>;
}

export function startInTerminal(args: string[], options: { env: NodeJS.ProcessEnv }): TerminalSession {
  const child = spawnInTerminal(args, options.env);
  let raw = "";
  const screen = () => raw.replace(/\r\n/g, "\n");
  let cursor = 0;
  const listeners = new Set<() => void>();
  let ended = false;
  const changed = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout.on("data", (d: string) => {
    raw += d;
    changed();
  });
  child.stderr.on("data", (d: string) => {
    raw += d;
    changed();
  });
  const exited = new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      ended = true;
      changed();
      resolve({ code, screen: screen() });
    });
  });
  return {
    screen,
    waitFor(text, { from = cursor, timeoutMs = 30_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const at = screen().indexOf(text, from);
          if (at >= 0) {
            done();
            cursor = at + text.length;
            resolve(cursor);
          } else if (ended) {
            done();
            reject(new Error(`The CLI ended without showing ${JSON.stringify(text)}. Screen:\n${screen()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${JSON.stringify(text)} did not show in ${timeoutMs} ms. Screen:\n${screen()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    type: (text) => void child.stdin.write(`${text}\r`),
    interrupt: () => void child.stdin.write("\u0003"),
    kill: () => {
      if (!ended) child.kill("SIGTERM");
    },
    exited,
  };
}
