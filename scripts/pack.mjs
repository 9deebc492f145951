// `pnpm pack:all [dir]`: builds every package under packages/ and packs it with `pnpm pack` into `dir` (default
// ./packed), then checks each tarball as a registry would serve it: no `workspace:` ranges left, effect and the
// @effect packages only as peers, every `exports` target present, types beside every module, README, CHANGELOG and
// LICENSE included, no build info. Prints the tarball paths, one per line, on stdout. No package is skipped: a
// private one under packages/ is an error.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const out = path.resolve(process.argv[2] ?? path.join(root, "packed"))
const pnpm = (args, cwd) =>
  execFileSync(process.platform === "win32" ? "npx.cmd" : "npx", ["-y", "pnpm@10.34.9", ...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"]
  })

const problems = []
const fail = (pkg, message) => problems.push(`${pkg}: ${message}`)

const dirs = fs.readdirSync(path.join(root, "packages")).filter((d) =>
  fs.existsSync(path.join(root, "packages", d, "package.json"))
).sort()
if (dirs.length === 0) throw new Error("no packages under packages/")

const tsc = createRequire(path.join(root, "package.json")).resolve("typescript/bin/tsc")
execFileSync(process.execPath, [tsc, "-b", ...dirs.map((d) => path.join("packages", d))], {
  cwd: root,
  stdio: "inherit"
})

fs.mkdirSync(out, { recursive: true })
for (const f of fs.readdirSync(out)) if (f.endsWith(".tgz")) fs.rmSync(path.join(out, f))

const shared = ["effect", "@effect/platform", "@effect/platform-node"]
const tarballs = []
for (const dir of dirs) {
  const where = path.join(root, "packages", dir)
  const manifest = JSON.parse(fs.readFileSync(path.join(where, "package.json"), "utf8"))
  const name = manifest.name ?? `packages/${dir}`
  if (manifest.private === true) {
    fail(name, "is private: every package under packages/ must be publishable")
    continue
  }
  const packed = pnpm(["pack", "--pack-destination", out], where).trim().split("\n").pop()
  const tarball = path.isAbsolute(packed) ? packed : path.join(out, path.basename(packed))
  if (!fs.existsSync(tarball)) {
    fail(name, `pnpm pack did not write ${tarball}`)
    continue
  }
  tarballs.push(tarball)
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), "nexos-pack-"))
  try {
    execFileSync("tar", ["-xzf", tarball, "-C", unpacked])
    const base = path.join(unpacked, "package")
    const files = new Set(
      execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((f) =>
        f.replace(/^package\//, "")
      )
    )
    const pkg = JSON.parse(fs.readFileSync(path.join(base, "package.json"), "utf8"))
    const text = JSON.stringify(pkg)
    if (text.includes("workspace:")) fail(name, "a workspace: range is left in the packed package.json")
    if (pkg.type !== "module") fail(name, "type is not module")
    if (pkg.publishConfig?.access !== "public") fail(name, "publishConfig.access is not public")
    if (typeof pkg.license !== "string") fail(name, "no license")
    for (const dep of shared) {
      if (pkg.dependencies?.[dep] !== undefined) fail(name, `${dep} is a dependency (must be a peer: one copy in the app)`)
    }
    const uses = (dep) =>
      fs.readdirSync(path.join(base, "dist"), { recursive: true }).some((f) =>
        String(f).endsWith(".js") && fs.readFileSync(path.join(base, "dist", String(f)), "utf8").includes(`"${dep}/`)
      )
    for (const dep of shared) {
      if (uses(dep) && pkg.peerDependencies?.[dep] === undefined) fail(name, `imports ${dep} but has no peer on it`)
    }
    for (const required of ["README.md", "CHANGELOG.md", "LICENSE", "dist/index.js", "dist/index.d.ts"]) {
      if (!files.has(required)) fail(name, `${required} is not in the tarball`)
    }
    for (const f of files) if (f.endsWith(".tsbuildinfo")) fail(name, `build info ${f} is in the tarball`)
    const exports = pkg.exports ?? {}
    if (exports["./internal/*"] !== null) fail(name, "exports does not block ./internal/*")
    for (const [key, target] of Object.entries(exports)) {
      if (target === null) continue
      for (const condition of ["types", "default"]) {
        const file = target[condition]
        if (typeof file !== "string") fail(name, `exports["${key}"] has no ${condition}`)
        else if (!file.includes("*") && !files.has(file.replace(/^\.\//, ""))) {
          fail(name, `exports["${key}"].${condition} ${file} is not in the tarball`)
        }
      }
    }
    for (const f of files) {
      const module = /^dist\/([A-Z][A-Za-z0-9]*)\.js$/.exec(f)
      if (module !== null && !files.has(`dist/${module[1]}.d.ts`)) fail(name, `dist/${module[1]}.js has no types`)
    }
    for (const [bin, file] of Object.entries(typeof pkg.bin === "string" ? { [name]: pkg.bin } : pkg.bin ?? {})) {
      const target = file.replace(/^\.\//, "")
      if (!files.has(target)) fail(name, `bin ${bin} -> ${file} is not in the tarball`)
      else if (!fs.readFileSync(path.join(base, target), "utf8").startsWith("#!/usr/bin/env node")) {
        fail(name, `bin ${bin} has no #!/usr/bin/env node line`)
      }
    }
  } finally {
    fs.rmSync(unpacked, { recursive: true, force: true })
  }
}

if (problems.length > 0) {
  console.error(`pack: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  process.exit(1)
}
for (const t of tarballs) console.log(t)
