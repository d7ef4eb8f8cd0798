import js from "@eslint/js";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import tseslint from "typescript-eslint";

// All TypeScript is linted with type information (strictTypeChecked), against tsconfig.json.
const TS_FILES = ["**/*.ts"];
const TS_IGNORES = ["**/dist/**"];

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
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: TS_FILES, ignores: TS_IGNORES })),
  {
    files: TS_FILES,
    ignores: TS_IGNORES,
    languageOptions: {
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: dirname(fileURLToPath(import.meta.url)) },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // node:test's describe/it return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "before", "after"] }] },
      ],
    },
  },
);
