/**
 * Questions in the terminal: a yes/no confirmation before anything is destroyed, a plain line, and hidden input for
 * a 2FA password (nothing echoed, not even stars, so its length does not show on a shared screen).
 */
import { createInterface } from "node:readline";
import { UsageError } from "./command";

export interface PromptInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
}

/** Ctrl-C or end of input while a question was open. */
export class PromptAbortedError extends Error {
  constructor() {
    super("Stopped: no answer was given. Nothing was changed.");
    this.name = "PromptAbortedError";
  }
}

/** Asks one question and resolves with the line typed (without the newline). */
export function askLine(
  input: PromptInput,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input, output, terminal: false });
    let answered = false;
    output.write(question);
    rl.once("line", (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once("close", () => {
      if (!answered) reject(new PromptAbortedError());
    });
    rl.once("SIGINT", () => {
      rl.close();
    });
  });
}

export interface ConfirmOptions {
  /** `--yes` was given: do not ask. */
  readonly yes: boolean;
  /** A person can answer (stdin and stderr are terminals). */
  readonly interactive: boolean;
  readonly input: PromptInput;
  readonly output: NodeJS.WritableStream;
  /** What would be done, for the refusal message: "delete +998901234567". */
  readonly action: string;
}

/**
 * True when the operator said yes (`y` or `yes`). With `--yes` it does not ask. With nobody to ask (a script, a
 * pipe, cron) and no `--yes` it refuses with a usage error, rather than guessing either way.
 */
export async function confirm(question: string, options: ConfirmOptions): Promise<boolean> {
  if (options.yes) return true;
  if (!options.interactive) {
    throw new UsageError(
      `Refusing to ${options.action} without confirmation: there is no terminal to ask on.`,
      "Pass --yes to confirm.",
    );
  }
  const answer = await askLine(options.input, options.output, `${question} [y/N] `);
  return /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * Reads a secret. On a terminal, raw mode keeps the typed characters off the screen (Backspace edits, Enter ends,
 * Ctrl-C aborts). From a pipe it reads one line, so scripts can pass the secret on stdin.
 */
export function readHidden(
  input: PromptInput,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string> {
  if (!input.isTTY || !input.setRawMode) return askLine(input, output, question);
  const setRawMode = input.setRawMode.bind(input);
  // Echo off before the question shows: an answer typed the instant it appears must not reach the screen.
  setRawMode(true);
  output.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (err?: Error) => {
      input.removeListener("data", onData);
      input.removeListener("end", onEnd);
      setRawMode(false);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onEnd = () => finish(new PromptAbortedError());
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003" || ch === "\u0004") return finish(new PromptAbortedError());
        if (ch === "\u007f" || ch === "\b") value = [...value].slice(0, -1).join("");
        else if (ch >= " ") value += ch;
      }
    };
    input.on("data", onData);
    input.once("end", onEnd);
    input.resume();
  });
}

/** A conversation of several questions (`sessions add`: phone, code, password, retries). */
export interface Prompter {
  line(question: string): Promise<string>;
  /** Hidden on a terminal (see `readHidden`). */
  hidden(question: string): Promise<string>;
  /** Lets go of the input (the process may then end). */
  close(): void;
}

/**
 * On a terminal each question reads what is typed after it. From a pipe (a script answering every question
 * on stdin), one reader serves the whole conversation: a fresh reader per question would lose the answers the
 * previous one had already buffered.
 */
export function createPrompter(input: PromptInput, output: NodeJS.WritableStream): Prompter {
  if (input.isTTY) {
    return {
      line: (q) => askLine(input, output, q),
      hidden: (q) => readHidden(input, output, q),
      close: () => input.pause(),
    };
  }
  const rl = createInterface({ input, terminal: false });
  const buffered: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  let ended = false;
  rl.on("line", (line) => {
    const next = waiting.shift();
    if (next) next.resolve(line);
    else buffered.push(line);
  });
  rl.on("close", () => {
    ended = true;
    for (const w of waiting.splice(0)) w.reject(new PromptAbortedError());
  });
  const ask = (question: string): Promise<string> => {
    output.write(question);
    // The piped answer is not echoed; end the question's line so the next output starts on its own.
    const answered = (line: string) => {
      output.write("\n");
      return line;
    };
    const line = buffered.shift();
    if (line !== undefined) return Promise.resolve(answered(line));
    if (ended) return Promise.reject(new PromptAbortedError());
    return new Promise<string>((resolve, reject) => waiting.push({ resolve, reject })).then(answered);
  };
  return { line: ask, hidden: ask, close: () => rl.close() };
}
