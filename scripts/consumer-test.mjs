// `pnpm test:consumer`: the README's "Use it in your project" steps, run as written in a fresh project outside the
// workspace. Packs every package (scripts/pack.mjs checks each tarball), installs the tarballs with npm next to a
// link named `nexos-effect` to this checkout, checks that the project holds one copy of effect, type-checks the
// README's program and an import of every package and public module with `moduleResolution` NodeNext and Bundler
// (internal modules must not resolve), runs every package's entry in Node, then runs the README's program against
// the `nexos-mock` binary of the installed @nexos-effect/testing, and the installed `nexos` binary (`--version`, a
// `chat`) against it. Every process it starts is stopped by PID.
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const started = Date.now()
const step = (message) => console.log(`consumer: ${message} (${((Date.now() - started) / 1000).toFixed(1)} s)`)

const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")
const section = readme.split(/^## /m).find((s) => s.startsWith("Use it in your project"))
if (section === undefined) throw new Error("README.md has no \"Use it in your project\" section")
const blocks = new Map()
for (const m of section.matchAll(/^```(\w+) (\S+)\n([\s\S]*?)^```$/gm)) blocks.set(m[2], m[3])
const block = (name) => {
  const text = blocks.get(name)
  if (text === undefined) throw new Error(`README.md's "Use it in your project" has no block named ${name}`)
  return text
}

const pnpmCommand = "npx -y pnpm@10.34.9 "
const pnpmExec = process.env.npm_execpath !== undefined && /pnpm/.test(process.env.npm_execpath)
  ? `"${process.execPath}" "${process.env.npm_execpath}" `
  : pnpmCommand
const sh = (script, cwd, env = {}) =>
  execFileSync("bash", ["-euo", "pipefail", "-c", script], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"]
  })

const base = fs.mkdtempSync(path.join(os.tmpdir(), "nexos-consumer-"))
const app = path.join(base, "my-app")
const children = []
const alive = (pid) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

try {
  fs.symlinkSync(root, path.join(base, "nexos-effect"), "dir")
  fs.mkdirSync(app)

  step("packing (README block 'repository')")
  const repositoryScript = block("repository").replaceAll(pnpmCommand, pnpmExec)
  sh(repositoryScript, root)
  const tarballs = fs.readdirSync(path.join(root, "packed")).filter((f) => f.endsWith(".tgz"))
  const packages = fs.readdirSync(path.join(root, "packages")).filter((d) =>
    fs.existsSync(path.join(root, "packages", d, "package.json"))
  )
  if (tarballs.length !== packages.length) {
    throw new Error(`${packages.length} packages but ${tarballs.length} tarballs in packed/: ${tarballs.join(", ")}`)
  }

  step("installing in a fresh project (README block 'project')")
  sh(block("project").replace(/^npm install /gm, "npm install --no-audit --no-fund --prefer-offline "), app)

  const copies = (name) => {
    const found = []
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue
        const full = path.join(dir, entry.name)
        if (entry.name === "node_modules") {
          if (fs.existsSync(path.join(full, name, "package.json"))) found.push(path.join(full, name))
          walk(full)
        } else if (dir.endsWith("node_modules") || path.basename(dir).startsWith("@")) walk(full)
      }
    }
    walk(app)
    return found
  }
  for (const name of ["effect", "@effect/platform"]) {
    const found = copies(name)
    if (found.length !== 1) throw new Error(`expected one copy of ${name}, found ${found.length}: ${found.join(", ")}`)
  }

  const installed = tarballs.map((t) => {
    const name = JSON.parse(execFileSync("tar", ["-xzOf", path.join(root, "packed", t), "package/package.json"])).name
    const dir = path.join(app, "node_modules", name)
    const modules = fs.readdirSync(path.join(dir, "dist")).filter((f) => /^[A-Z]\w*\.js$/.test(f)).map((f) =>
      f.slice(0, -3)
    )
    return { name, modules }
  })

  fs.mkdirSync(path.join(app, "src"))
  fs.writeFileSync(path.join(app, "tsconfig.json"), block("tsconfig.json"))
  fs.writeFileSync(path.join(app, "src", "main.ts"), block("src/main.ts"))
  fs.writeFileSync(
    path.join(app, "src", "packages.ts"),
    installed.flatMap(({ modules, name }, i) => [
      `import * as P${i} from "${name}"`,
      ...modules.map((m) => `import type * as P${i}_${m} from "${name}/${m}"`),
      `export type T${i} = [${modules.map((m) => `typeof P${i}_${m}`).join(", ")}]`,
      `export const p${i}: ReadonlyArray<string> = Object.keys(P${i})`,
      `// @ts-expect-error internal modules are not exported`,
      `import type * as I${i} from "${name}/internal/anything"`,
      `export type U${i} = typeof I${i}`
    ]).join("\n") + "\n"
  )
  const tsconfig = JSON.parse(block("tsconfig.json"))
  fs.writeFileSync(
    path.join(app, "tsconfig.bundler.json"),
    JSON.stringify({
      extends: "./tsconfig.json",
      compilerOptions: { module: "Preserve", moduleResolution: "Bundler", noEmit: true }
    })
  )
  if (tsconfig.compilerOptions.moduleResolution !== "NodeNext") throw new Error("the README's tsconfig is not NodeNext")

  step("type-checking with moduleResolution Bundler")
  sh("npx tsc -p tsconfig.bundler.json", app)

  const free = await new Promise((resolve) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
  step(`starting the mock gateway (README block 'mock', port ${free})`)
  const [command, ...args] = block("mock").trim().replace("8787", String(free)).split(/\s+/)
  const mock = spawn(command, args, { cwd: app, stdio: ["ignore", "pipe", "pipe"] })
  children.push(mock.pid)
  let log = ""
  mock.stdout.on("data", (d) => (log += d))
  mock.stderr.on("data", (d) => (log += d))
  const until = Date.now() + 60_000
  while (!/listening on .* pid (\d+)\)/.test(log)) {
    if (Date.now() > until || mock.exitCode !== null) throw new Error(`the mock gateway did not start:\n${log}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  children.push(Number(/pid (\d+)\)/.exec(log)[1]))

  step("building with moduleResolution NodeNext and running (README block 'run')")
  const output = execFileSync("bash", ["-euo", "pipefail", "-c", block("run").replaceAll("8787", String(free))], {
    cwd: app,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"]
  })
  process.stdout.write(output)
  if (!/Hello from the nexos mock gateway/.test(output.replaceAll("\n", ""))) {
    throw new Error("the program did not print the mock gateway's answer")
  }
  if (!/tokens: \d+/.test(output)) throw new Error("the program did not print the usage")

  step("running the installed nexos binary (the bundled bin of @nexos-effect/cli) against the mock")
  const nexos = path.join(app, "node_modules", ".bin", "nexos")
  const version = execFileSync(nexos, ["--version"], { cwd: app, encoding: "utf8" }).trim()
  const cliVersion = JSON.parse(fs.readFileSync(path.join(root, "packages/cli/package.json"), "utf8")).version
  if (version !== cliVersion) throw new Error(`nexos --version printed ${version}, expected ${cliVersion}`)
  const answer = execFileSync(nexos, ["chat", "hello from the consumer"], {
    cwd: app,
    encoding: "utf8",
    env: { ...process.env, NEXOS_API_KEY: "nexos-mock-key", NEXOS_BASE_URL: `http://127.0.0.1:${free}/v1` },
    stdio: ["ignore", "pipe", "inherit"]
  })
  if (!answer.includes("You said: hello from the consumer")) throw new Error(`nexos chat printed: ${answer}`)

  step("loading every package in Node")
  fs.writeFileSync(
    path.join(app, "load.mjs"),
    installed.map(({ name }) =>
      `await import("${name}").then((m) => { if (Object.keys(m).length === 0) throw new Error("${name} is empty") })\n` +
      `await import("${name}/internal/anything").then(() => { throw new Error("${name}/internal is reachable") }, ` +
      `(e) => { if (e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e })\n`
    ).join("") + `console.log("loaded ${installed.map((p) => p.name).join(", ")}")\n`
  )
  sh("node load.mjs", app)
  step(`passed: ${installed.map((p) => p.name).join(", ")}`)
} finally {
  for (const pid of children.reverse()) if (alive(pid)) process.kill(pid, "SIGTERM")
  const until = Date.now() + 10_000
  while (children.some(alive) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100))
  for (const pid of children) if (alive(pid)) process.kill(pid, "SIGKILL")
  fs.rmSync(base, { recursive: true, force: true })
}

