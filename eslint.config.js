import js from "@eslint/js";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import tseslint from "typescript-eslint";

// The CLI and its tests are linted with type information (strictTypeChecked), against tsconfig.cli.json.
const CLI_FILES = ["packages/cli/**/*.ts", "test/cli/**/*.ts", "test/helpers/**/*.ts"];
const CLI_IGNORES = ["test/helpers/server.ts", "**/dist/**"];

export default tseslint.config(
  // test/conformance/conform.mjs is the conformance runner as the DRF reference project ships it.
  { ignores: ["**/dist/**", "node_modules/**", "data/**", "test/conformance/conform.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-control-regex": "off",
    },
  },
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: CLI_FILES, ignores: CLI_IGNORES })),
  {
    files: CLI_FILES,
    ignores: CLI_IGNORES,
    languageOptions: {
      parserOptions: { project: "./tsconfig.cli.json", tsconfigRootDir: dirname(fileURLToPath(import.meta.url)) },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // node:test's describe/it return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": ["error", { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "before", "after"] }] }],
    },
  },
);
