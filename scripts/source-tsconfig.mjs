// Writes a tsconfig that maps every workspace package (`@nexos-effect/<name>` and its subpaths) to its TypeScript
// sources, for running code with tsx without building (`TSX_TSCONFIG_PATH=<file> node --import tsx program.ts`).
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

export const packages = () =>
  fs.readdirSync(path.join(root, "packages")).filter((name) =>
    fs.existsSync(path.join(root, "packages", name, "package.json"))
  ).sort()

export const sourceTsconfig = () => {
  const paths = {}
  for (const name of packages()) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "packages", name, "package.json"), "utf8")).name
    paths[pkg] = [path.join(root, "packages", name, "src", "index.ts")]
    paths[`${pkg}/*`] = [path.join(root, "packages", name, "src", "*.ts")]
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nexos-source-"))
  const file = path.join(dir, "tsconfig.json")
  fs.writeFileSync(file, JSON.stringify({ compilerOptions: { baseUrl: root, paths } }, null, 2))
  return file
}
