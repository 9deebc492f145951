// Whether a TypeScript project (and the projects it references) needs `tsc -b`: a build info file missing, or a
// source, tsconfig or package.json newer than it. A cheap stand-in for tsc's own up-to-date check, so that a command
// can start at once when nothing changed.
import * as fs from "node:fs"
import * as path from "node:path"

const newest = (dir) => {
  let max = 0
  if (!fs.existsSync(dir)) return max
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    max = Math.max(max, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs)
  }
  return max
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"))

/** The project directory and every project it references, transitively. */
export const projects = (dir, seen = new Set()) => {
  const resolved = path.resolve(dir)
  if (seen.has(resolved)) return [...seen]
  seen.add(resolved)
  for (const ref of readJson(path.join(resolved, "tsconfig.json")).references ?? []) {
    projects(path.resolve(resolved, ref.path), seen)
  }
  return [...seen]
}

const buildInfo = (dir) => {
  const options = readJson(path.join(dir, "tsconfig.json")).compilerOptions ?? {}
  return path.resolve(dir, options.tsBuildInfoFile ?? path.join(options.outDir ?? ".", "tsconfig.tsbuildinfo"))
}

/** The projects (of `dir` and its references) whose sources changed since their last build. */
export const stale = (dir, shared = []) => {
  const sharedTime = Math.max(0, ...shared.filter((f) => fs.existsSync(f)).map((f) => fs.statSync(f).mtimeMs))
  return projects(dir).filter((project) => {
    const info = buildInfo(project)
    if (!fs.existsSync(info)) return true
    const inputs = Math.max(
      sharedTime,
      newest(path.join(project, "src")),
      ...["tsconfig.json", "package.json"].map((f) => path.join(project, f)).filter((f) => fs.existsSync(f))
        .map((f) => fs.statSync(f).mtimeMs)
    )
    return inputs > fs.statSync(info).mtimeMs
  })
}

/** Marks the projects as built now (tsc leaves the build info untouched when its outputs did not change). */
export const touch = (dir) => {
  const now = new Date()
  for (const project of projects(dir)) {
    const info = buildInfo(project)
    if (fs.existsSync(info)) fs.utimesSync(info, now, now)
  }
}
