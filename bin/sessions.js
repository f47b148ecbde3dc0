#!/usr/bin/env node
/* global require, process */
/**
 * The `sessions` command. It runs the TypeScript sources through tsx (a devDependency, present after `npm ci`),
 * so the CLI is always the code in the checkout: no build step to forget before an emergency, no stale `dist/`.
 */
"use strict";

// eslint-disable-next-line @typescript-eslint/no-require-imports
require("tsx/cjs");
// eslint-disable-next-line @typescript-eslint/no-require-imports
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
    process.stderr.write(`sessions: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
