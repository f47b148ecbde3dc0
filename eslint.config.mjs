// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

/** Classic zod costs 450 KB on every cold start; lib/zod.ts gives zod/mini with English messages. */
const ZOD_CLASSIC = { name: "zod", message: 'Import { z } from lib/zod.ts (zod/mini), not from "zod".' };

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "cdk.out/", "coverage/", ".data/"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A forgotten await on a DynamoDB write or a client.destroy() is exactly the bug this project cannot afford.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
      "no-restricted-imports": ["error", { paths: [ZOD_CLASSIC] }],
    },
  },
  {
    // The Mini App shares the bot's texts and its login progress (lib/bot/login-progress.ts), nothing else of it.
    files: ["lib/miniapp/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [ZOD_CLASSIC],
          patterns: [
            {
              group: ["../bot/*", "!../bot/locales", "!../bot/login-progress"],
              message: "lib/miniapp uses only the bot's texts and lib/bot/login-progress.ts.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts", "infra/**/*.ts", "lib/cli/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts"],
    rules: { "no-console": "off" },
  },
  {
    files: ["**/*.mjs", "**/*.cjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
