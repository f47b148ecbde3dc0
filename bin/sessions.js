#!/usr/bin/env node
/* global require, process */
/**
 * The `sessions` command. It runs the TypeScript sources through tsx (a runtime dependency, so an install without
 * dev dependencies runs it too),
 * so the CLI is always the code in the checkout: no build step to forget before an emergency, no stale `dist/`.
 */
"use strict";

/* eslint-disable @typescript-eslint/no-require-imports */
const { existsSync } = require("node:fs");

// The same `.env` as `npm run dev` (in the folder the command runs from), so both work on the same stack.
// Variables already set in the shell win over the file.
if (existsSync(".env")) process.loadEnvFile(".env");

// `sessions list | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on("error", (err) => {
  if (err && err.code === "EPIPE") process.exit(0);
  throw err;
});

require("tsx/cjs");
const { main } = require("../lib/cli/main.ts");

main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  process.env,
).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // Only reached when the CLI itself failed to load (main catches everything else).
    process.stderr.write(`sessions: could not start: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  },
);
