import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { projects, stale, touch } from "../../scripts/freshness.mjs"
import { root, sourceTsconfig } from "../../scripts/source-tsconfig.mjs"

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const waitFor = async <A>(what: string, f: () => A | undefined, ms: number): Promise<A> => {
  const until = Date.now() + ms
  for (;;) {
    const value = f()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("pnpm mock", () => {
  it("stops when the process that started it is killed, even through an intermediate shell", async () => {
    const tsconfig = sourceTsconfig()
    const bin = path.join(root, "packages/testing/src/bin/mock.ts")
    const started: Array<number> = []
    let parent: ChildProcess | undefined
    try {
      parent = spawn(process.execPath, [
        "-e",
        `require("node:child_process").spawn("sh", ["-c", ${
          JSON.stringify(`"${process.execPath}" --import tsx "${bin}" --port 0; true`)
        }], { stdio: "inherit" }); setInterval(() => {}, 1000)`
      ], { cwd: root, env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig }, stdio: ["ignore", "pipe", "pipe"] })
      started.push(parent.pid!)
      let output = ""
      parent.stdout!.on("data", (d) => (output += d))
      parent.stderr!.on("data", (d) => (output += d))
      const [, url, pid] = await waitFor(
        "the listening line",
        () => /listening on (\S+) \(API key: \S+, pid (\d+)\)/.exec(output) ?? undefined,
        20_000
      )
      const mock = Number(pid)
      started.push(mock)
      const health = await fetch(`${url!.replace(/\/v1$/, "")}/health`)
      assert.strictEqual(await health.text(), "ok")
      parent.kill("SIGKILL")
      await waitFor("the gateway to stop", () => (alive(mock) ? undefined : true), 10_000)
      assert.include(output, "that started it has ended, stopping")
      const refused = await fetch(`${url}/models`).then(() => false, () => true)
      assert.isTrue(refused)
    } finally {
      for (const pid of started) if (alive(pid)) process.kill(pid, "SIGKILL")
      fs.rmSync(path.dirname(tsconfig), { recursive: true, force: true })
    }
  }, 40_000)

  it("rebuilds only when a source of the gateway or of a package it uses is newer than the last build", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nexos-freshness-"))
    try {
      const project = (name: string, references: Array<string>) => {
        fs.mkdirSync(path.join(dir, name, "src", "internal"), { recursive: true })
        fs.writeFileSync(
          path.join(dir, name, "tsconfig.json"),
          JSON.stringify({
            compilerOptions: { outDir: "dist", tsBuildInfoFile: "dist/.tsbuildinfo" },
            references: references.map((r) => ({ path: `../${r}` }))
          })
        )
        fs.writeFileSync(path.join(dir, name, "src", "internal", "a.ts"), "export {}")
      }
      project("schema", [])
      project("testing", ["schema"])
      const testing = path.join(dir, "testing")
      const past = new Date(Date.now() - 60_000)
      for (const name of ["schema", "testing"]) {
        for (const f of ["tsconfig.json", "src/internal/a.ts"]) fs.utimesSync(path.join(dir, name, f), past, past)
      }
      assert.deepStrictEqual(projects(testing), [testing, path.join(dir, "schema")])
      assert.deepStrictEqual(stale(testing), [testing, path.join(dir, "schema")], "never built")
      for (const name of ["schema", "testing"]) {
        fs.mkdirSync(path.join(dir, name, "dist"))
        fs.writeFileSync(path.join(dir, name, "dist", ".tsbuildinfo"), "{}")
      }
      assert.deepStrictEqual(stale(testing), [], "nothing changed")
      const future = new Date(Date.now() + 60_000)
      fs.utimesSync(path.join(dir, "schema", "src", "internal", "a.ts"), future, future)
      assert.deepStrictEqual(stale(testing), [path.join(dir, "schema")], "a nested source of a dependency changed")
      const base = path.join(dir, "tsconfig.base.json")
      fs.writeFileSync(base, "{}")
      fs.utimesSync(base, future, future)
      assert.deepStrictEqual(stale(testing, [base]).length, 2, "a shared config changed")
      touch(testing)
      fs.utimesSync(path.join(dir, "schema", "src", "internal", "a.ts"), past, past)
      assert.deepStrictEqual(stale(testing), [])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
