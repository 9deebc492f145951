import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const pkg = (name: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), "packages", name, "src")

export default defineConfig({
  resolve: {
    alias: ["schema", "client", "testing", "cluster", "ai", "cli"].flatMap((name) => [
      { find: new RegExp(`^@nexos-effect/${name}$`), replacement: path.join(pkg(name), "index.ts") },
      { find: new RegExp(`^@nexos-effect/${name}/(.*)$`), replacement: path.join(pkg(name), "$1.ts") }
    ])
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    sequence: { concurrent: false }
  }
})
