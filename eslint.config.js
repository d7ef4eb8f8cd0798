import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
);
