import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { configDefaults, defineConfig } from "vitest/config"

const pkg = (name: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), "packages", name, "src")

/**
 * Test files share a worker's loaded modules (a file costs ~1.8 s to import its dependencies afresh, three times what
 * its tests take on average), except those listed here, which get fresh modules: the CLI's end-to-end tests leave the
 * workers' Effect test services unusable for the files after them.
 */
const isolated = ["packages/cli/test/**/*.test.ts"]

export default defineConfig({
  resolve: {
    alias: ["schema", "client", "testing", "cluster", "ai", "cli"].flatMap((name) => [
      { find: new RegExp(`^@nexos-effect/${name}$`), replacement: path.join(pkg(name), "index.ts") },
      { find: new RegExp(`^@nexos-effect/${name}/(.*)$`), replacement: path.join(pkg(name), "$1.ts") }
    ])
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    sequence: { concurrent: false },
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...isolated],
          poolOptions: { forks: { isolate: false } }
        }
      },
      { extends: true, test: { name: "isolated", include: isolated } }
    ]
  }
})
