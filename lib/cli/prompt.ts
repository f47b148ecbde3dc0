/**
 * Questions in the terminal: a yes/no confirmation before anything is destroyed, a plain line, and hidden input for
 * a 2FA password (nothing echoed, not even stars, so its length does not show on a shared screen).
 */
import { createInterface, emitKeypressEvents, type Key } from "node:readline";
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
 * Reads a secret. On a terminal, raw mode keeps the typed characters off the screen. Keys are read as keypresses
 * (readline decodes the escape sequences), so ← → Home End move an invisible cursor, Backspace and Delete edit at it,
 * and no arrow key ever becomes "[D" inside the password; Enter ends, Ctrl-C/Ctrl-D abort. From a pipe it reads one
 * line, so scripts can pass the secret on stdin.
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
  emitKeypressEvents(input);
  output.write(question);
  return new Promise((resolve, reject) => {
    const chars: string[] = [];
    let cursor = 0;
    const finish = (err?: Error) => {
      input.removeListener("keypress", onKey);
      input.removeListener("end", onEnd);
      setRawMode(false);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(chars.join(""));
    };
    const onEnd = () => finish(new PromptAbortedError());
    const onKey = (str: string | undefined, key: Key | undefined) => {
      const name = key?.name;
      if (name === "return" || name === "enter") return finish();
      if (key?.ctrl && (name === "c" || name === "d")) return finish(new PromptAbortedError());
      if (name === "backspace") {
        if (cursor > 0) chars.splice(--cursor, 1);
      } else if (name === "delete") chars.splice(cursor, 1);
      else if (name === "left") cursor = Math.max(0, cursor - 1);
      else if (name === "right") cursor = Math.min(chars.length, cursor + 1);
      else if (name === "home" || (key?.ctrl && name === "a")) cursor = 0;
      else if (name === "end" || (key?.ctrl && name === "e")) cursor = chars.length;
      else if (key?.ctrl && name === "u") {
        chars.splice(0, cursor);
        cursor = 0;
      } else if (str !== undefined && !key?.ctrl && !key?.meta && !str.startsWith("\u001b")) {
        // A printable character (one keypress each, also when pasted); other control keys are dropped.
        for (const ch of str) if (ch >= " " && ch !== "\u007f") chars.splice(cursor++, 0, ch);
      }
    };
    input.on("keypress", onKey);
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
