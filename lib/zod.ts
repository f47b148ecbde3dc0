/**
 * zod for the whole project: the tree-shakable `zod/mini` build with English messages only. The classic `zod`
 * import costs 450 KB of minified code on every cold start of every function (the webhook's first `/start`
 * included, issue #19); this one about 25 KB. Import it as `import * as z from "../zod"` (a namespace import, so
 * the bundler keeps only what is used), never from "zod" (a lint rule says so).
 */
import { config, pipe, transform, type core, type ZodMiniPipe, type ZodMiniTransform } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";

/** An empty string in the environment means "not set", as in most shells' `VAR=` idiom. */
export function blankIsUnset<T extends core.$ZodType>(
  schema: T,
): ZodMiniPipe<ZodMiniTransform<unknown, unknown>, T> {
  return pipe(
    transform((v: unknown) => (v === "" ? undefined : v)),
    schema,
  );
}
