// `pnpm mock`: the mock gateway standalone (flags: see packages/testing/src/bin/mock.ts). Builds @nexos-effect/testing
// and the packages it needs only when a source changed since their last build, so it starts at once otherwise.
import { spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { stale, touch } from "./freshness.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const testing = path.join(root, "packages", "testing")
const changed = stale(testing, [path.join(root, "tsconfig.base.json")])
if (changed.length > 0) {
  console.error(`mock: building ${changed.map((p) => path.relative(root, p)).join(", ")} (sources changed)`)
  const tsc = createRequire(path.join(root, "package.json")).resolve("typescript/bin/tsc")
  const built = spawnSync(process.execPath, [tsc, "-b", testing], { stdio: "inherit", cwd: root })
  if (built.status !== 0) process.exit(built.status ?? 1)
  touch(testing)
}
await import(pathToFileURL(path.join(testing, "dist", "bin", "mock.js")).href)
