import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { packages, root } from "../../scripts/source-tsconfig.mjs"

const manifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))

describe("publishing and versioning", () => {
  it("every package is publishable: public, peers on effect, CHANGELOG and LICENSE shipped, blocked internals", () => {
    const names = packages()
    assert.includeMembers(names, ["client", "schema", "testing"])
    for (const dir of names) {
      const where = path.join(root, "packages", dir)
      const pkg = manifest(where)
      assert.isUndefined(pkg.private, dir)
      assert.deepStrictEqual(pkg.publishConfig, { access: "public" }, dir)
      assert.include(pkg.files, "CHANGELOG.md", dir)
      assert.include(pkg.files, "!dist/.tsbuildinfo", dir)
      assert.isString(pkg.peerDependencies?.effect, dir)
      assert.isUndefined(pkg.dependencies?.effect, dir)
      assert.isNull(pkg.exports["./internal/*"], dir)
      assert.isTrue(fs.existsSync(path.join(where, "LICENSE")), dir)
      const changelog = fs.readFileSync(path.join(where, "CHANGELOG.md"), "utf8")
      assert.isTrue(changelog.startsWith(`# ${pkg.name}\n`), dir)
      assert.strictEqual(/^## (\S+)$/m.exec(changelog)?.[1], pkg.version, `${dir}: the CHANGELOG's last version`)
    }
  })

  it("a changeset bumps every @nexos-effect package together and writes the changelogs, offline", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nexos-changeset-"))
    try {
      for (const f of ["package.json", "pnpm-workspace.yaml", ".changeset/config.json"]) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true })
        fs.copyFileSync(path.join(root, f), path.join(dir, f))
      }
      for (const name of packages()) {
        fs.mkdirSync(path.join(dir, "packages", name), { recursive: true })
        for (const f of ["package.json", "CHANGELOG.md"]) {
          fs.copyFileSync(path.join(root, "packages", name, f), path.join(dir, "packages", name, f))
        }
      }
      fs.writeFileSync(
        path.join(dir, ".changeset", "new-feature.md"),
        "---\n\"@nexos-effect/client\": minor\n---\n\nA new feature.\n"
      )
      const bin = createRequire(path.join(root, "package.json")).resolve("@changesets/cli/bin.js")
      execFileSync(process.execPath, [bin, "version"], { cwd: dir, stdio: "pipe" })
      const before = manifest(path.join(root, "packages", "client")).version as string
      const [major, minor] = before.split(".").map(Number)
      const next = major === 0 ? `0.${minor! + 1}.0` : `${major}.${minor! + 1}.0`
      for (const name of packages()) {
        assert.strictEqual(manifest(path.join(dir, "packages", name)).version, next, name)
      }
      const changelog = fs.readFileSync(path.join(dir, "packages", "client", "CHANGELOG.md"), "utf8")
      assert.match(
        changelog,
        new RegExp(`^# @nexos-effect/client\\n\\n## ${next}\\n\\n### Minor Changes\\n\\n- A new feature\\.`)
      )
      assert.include(changelog, `## ${before}`)
      assert.isFalse(fs.existsSync(path.join(dir, ".changeset", "new-feature.md")))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
