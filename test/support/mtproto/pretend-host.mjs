/**
 * Preloaded (`NODE_OPTIONS=--import …/pretend-host.mjs`) into a child process of the identity tests, so the process
 * pretends to run on another host: `os.hostname()`, `os.type()` and `os.release()` answer PRETEND_HOSTNAME,
 * PRETEND_OS_TYPE and PRETEND_OS_RELEASE. GramJS reads `os.type()` and `os.release()` (through `require("os")`, the
 * object patched here) for a client's device model and system version when none is given, as a Lambda host's kernel
 * would show through.
 */
import os from "node:os";
import process from "node:process";

for (const [name, variable] of [
  ["hostname", "PRETEND_HOSTNAME"],
  ["type", "PRETEND_OS_TYPE"],
  ["release", "PRETEND_OS_RELEASE"],
]) {
  const value = process.env[variable];
  if (value) os[name] = () => value;
}
