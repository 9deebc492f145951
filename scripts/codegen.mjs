// Generates each package's src/index.ts: one namespace re-export per public module (PascalCase file).
import * as fs from "node:fs"
import * as path from "node:path"

const check = process.argv.includes("--check")
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
let stale = []
for (const pkg of fs.readdirSync(path.join(root, "packages"))) {
  const src = path.join(root, "packages", pkg, "src")
  if (!fs.existsSync(src)) continue
  const modules = fs.readdirSync(src)
    .filter((f) => /^[A-Z][A-Za-z0-9]*\.ts$/.test(f))
    .map((f) => f.slice(0, -3))
    .sort()
  const body = modules.map((m) => `/**\n * @since 0.1.0\n */\nexport * as ${m} from "./${m}.js"\n`).join("\n")
  const text = `/**\n * @since 0.1.0\n */\n\n${body}`
  const file = path.join(src, "index.ts")
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : ""
  if (current !== text) {
    if (check) stale.push(path.relative(root, file))
    else fs.writeFileSync(file, text)
  }
}
if (stale.length > 0) {
  console.error(`stale barrels (run pnpm codegen): ${stale.join(", ")}`)
  process.exit(1)
}
