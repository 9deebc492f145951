/**
 * The docs are executable: scripts/snippets.mjs copies every ```ts block of the READMEs and every `@example` into
 * test/docs/snippets/ (`pnpm check` type-checks them, `pnpm codegen` regenerates them); here the copies are checked to
 * be current, each README program runs in its own Node process against a mock gateway and must exit cleanly, and the
 * package READMEs are checked for what a user needs first.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { dir, run, snippets } from "../../scripts/snippets.mjs"
import { packages, root, sourceTsconfig } from "../../scripts/source-tsconfig.mjs"

const readme = (pkg: string) => fs.readFileSync(path.join(root, "packages", pkg, "README.md"), "utf8")

/** Runs the programs in one Node process (Effect loads once): each is imported; the process must end by itself. */
const exec = (files: ReadonlyArray<string>, env: Record<string, string>, tsconfig: string) =>
  new Promise<{ readonly code: number | null; readonly output: string }>((resolve) => {
    const script = `for (const url of ${JSON.stringify(files.map((f) => pathToFileURL(f).href))}) await import(url)`
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", script], {
      cwd: root,
      env: { ...process.env, ...env, TSX_TSCONFIG_PATH: tsconfig },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (d) => (output += d))
    child.stderr.on("data", (d) => (output += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })

describe("docs", () => {
  it("the snippet copies are current (pnpm codegen writes them)", () => {
    assert.deepStrictEqual(run(true), [])
    assert.isAbove(snippets().filter((s) => s.kind === "example").length, 3)
  })

  it("every package README says what the package is, then shows a short complete example", () => {
    for (const pkg of packages()) {
      const text = readme(pkg)
      const name = JSON.parse(fs.readFileSync(path.join(root, "packages", pkg, "package.json"), "utf8")).name
      assert.isTrue(text.startsWith(`# ${name}\n\n`), `${pkg}: starts with its name`)
      const intro = text.split("\n\n")[1] ?? ""
      assert.isAbove(intro.length, 80, `${pkg}: a paragraph saying what it is`)
      const first = snippets().find((s) => s.source === `packages/${pkg}/README.md`)
      assert.isDefined(first, `${pkg}: a complete ts example`)
      const lines = first!.code.split("\n").filter((l) => l.trim() !== "").length
      assert.isAtMost(lines, 20, `${pkg}: the first example is short (${lines} lines)`)
      const firstHeading = text.indexOf("\n## ")
      assert.isTrue(firstHeading < 0 || text.indexOf("```ts") < firstHeading, `${pkg}: the example comes first`)
    }
  })

  it("the client README lists every option of NexosClient.layer with its default", () => {
    const source = fs.readFileSync(path.join(root, "packages/client/src/NexosClient.ts"), "utf8")
    const body = /export interface Options \{([\s\S]*?)\n\}/.exec(source)![1]!
    const options = [...body.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1]!)
    assert.includeMembers(options, ["apiKey", "baseUrl", "timeout", "retry", "transformClient"])
    const text = readme("client")
    for (const option of options) {
      const row = new RegExp(`^\\| \`${option}\` \\| ([^|]+) \\|`, "m").exec(text)
      assert.isNotNull(row, `the client README's options table has no row for ${option}`)
      assert.isAbove(row![1]!.trim().length, 1, `${option} has no default in the table`)
    }
  })

  it("the testing README documents every fault field", () => {
    const text = readme("testing")
    for (const field of Object.keys(Fault.Fault.fields)) {
      assert.match(text, new RegExp(`^\\| \`${field}\` \\| \\S`, "m"), `the fault table has no row for ${field}`)
    }
  })

  it.scopedLive(
    "every README program runs as written against a mock gateway and exits cleanly",
    () =>
      Effect.gen(function*() {
        const gateway = yield* MockGateway.make()
        const programs = snippets().filter((s) => s.kind === "readme" && !s.test)
        const tsconfig = sourceTsconfig()
        yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(path.dirname(tsconfig), { recursive: true })))
        const env = { NEXOS_API_KEY: gateway.apiKey, NEXOS_BASE_URL: gateway.url }
        const { code, output } = yield* Effect.promise(() =>
          exec(programs.map((s) => path.join(dir, s.file)), env, tsconfig)
        )
        assert.strictEqual(code, 0, `a README program failed (${programs.map((s) => s.file).join(", ")}):\n${output}`)
        const calling = programs.filter((s) => s.code.includes("NexosClient.NexosClient")).length
        assert.isAtLeast(calling, 3)
        assert.isAtLeast((yield* gateway.requests).length, calling)
      }),
    240_000
  )
})
