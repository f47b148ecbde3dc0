/** `sessions --version` and `sessions completion bash|zsh`: the script, sourced in a real bash, completes. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { cliEnv, runCli } from "../support/cli-run";

vi.setConfig({ testTimeout: 60_000 });

const env = cliEnv(undefined);

function complete(script: string, words: string[]): string[] {
  const line = [
    script,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    "_sessions_complete",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const r = spawnSync("bash", ["-c", line], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout.split("\n").filter(Boolean);
}

describe("sessions --version and completion", () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(resolve(__dirname, "../../package.json"), "utf8")) as {
      version: string;
    };
    const r = await runCli(["--version"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`sessions ${version}\n`);
  });

  it("completes commands and each command's options in bash", async () => {
    const r = await runCli(["completion", "bash"], { env });
    expect(r.code).toBe(0);
    expect(complete(r.stdout, ["sessions", "hist"])).toEqual(["history"]);
    expect(complete(r.stdout, ["sessions", "st"])).toEqual(["status"]);
    expect(complete(r.stdout, ["sessions", "audit", "--ph"])).toEqual(["--phone"]);
    expect(complete(r.stdout, ["sessions", "completion", ""])).toEqual(["bash", "zsh"]);
  });

  it("prints a zsh script, and refuses another shell with exit 2", async () => {
    const zsh = await runCli(["completion", "zsh"], { env });
    expect(zsh.stdout.split("\n")[0]).toBe("#compdef sessions");
    const fish = await runCli(["completion", "fish"], { env });
    expect(fish.code).toBe(2);
    expect(fish.stderr).toContain('`sessions completion` takes bash or zsh, not "fish".');
  });
});
