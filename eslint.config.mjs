import effect from "@effect/eslint-plugin"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["test/docs/snippets/**", "**/dist/**", "**/build/**", "**/node_modules/**", "**/*.mjs", "**/*.js"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@effect": effect, "@typescript-eslint": tseslint.plugin },
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off"
    }
  },
  {
    // A package's barrel loads every one of its modules (Node pays per file at start-up): the packages' code
    // imports each module by its path (`effect/Effect`, `@effect/platform/HttpClient`); types may come from barrels.
    files: ["packages/*/src/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        paths: [
          "effect",
          "@effect/platform",
          "@effect/platform-node",
          "@effect/platform-node-shared",
          "@effect/ai",
          "@effect/cli",
          "@effect/cluster",
          "@effect/rpc",
          "@effect/sql",
          "@effect/sql-pg",
          "@effect/workflow",
          "@effect/opentelemetry",
          "@effect/experimental",
          "@nexos-effect/schema",
          "@nexos-effect/client",
          "@nexos-effect/testing",
          "@nexos-effect/cluster",
          "@nexos-effect/ai",
          "@nexos-effect/cli"
        ].map((name) => ({
          name,
          message: `Import the module by its path (e.g. "${name}/<Module>"): the barrel loads the whole package.`,
          allowTypeImports: true
        }))
      }]
    }
  }
)
