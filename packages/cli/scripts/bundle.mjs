// `node scripts/bundle.mjs [outdir]`: the `nexos` binary as one ES module bundle (the CLI with effect, @effect/* and
// @nexos-effect/* inlined, from their TypeScript sources; the mock gateway in a chunk loaded only by `nexos mock`),
// written to dist/bundle/ by default. Run by the root `pnpm build` and by `pnpm pack` (prepack). Loading one file
// instead of some hundred modules is what makes the binary start fast (see the README's start-up figures).
import * as esbuild from "esbuild"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
export const packageDir = path.resolve(here, "..")
export const defaultOutdir = path.join(packageDir, "dist", "bundle")

// A CommonJS package imported with `import()` becomes, in a split esbuild bundle, a chunk with only a default
// export, where Node gives its named exports too (`(await import("undici")).Agent`). This gives the chunk the
// package's own export names.
const cjsNamedExports = (packages) => ({
  name: "cjs-named-exports",
  setup(build) {
    const filter = new RegExp(`^(${packages.join("|")})$`)
    build.onResolve({ filter }, async (args) => {
      if (args.pluginData === "real") return undefined
      const real = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: "real" })
      if (real.errors.length > 0) return { errors: real.errors }
      return { path: real.path, namespace: "cjs-named-exports" }
    })
    build.onLoad({ filter: /.*/, namespace: "cjs-named-exports" }, (args) => {
      const names = Object.keys(createRequire(args.path)(args.path)).filter((name) =>
        /^[A-Za-z_$][\w$]*$/.test(name) && name !== "default"
      )
      return {
        contents: `import m from ${JSON.stringify(args.path)}\nexport default m\nexport const { ${names.join(", ")} } = m\n`,
        resolveDir: path.dirname(args.path),
        loader: "js"
      }
    })
  }
})

/** Writes the bundle to `outdir` (emptied first) and returns the path of its entry, `nexos.mjs`. */
export const bundle = async (outdir = defaultOutdir) => {
  fs.rmSync(outdir, { recursive: true, force: true })
  await esbuild.build({
    entryPoints: { nexos: path.join(packageDir, "src", "bin", "nexos.ts") },
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    tsconfig: path.join(packageDir, "bundle.tsconfig.json"),
    banner: { js: "import { createRequire as __nexosRequire } from \"node:module\"; const require = __nexosRequire(import.meta.url);" },
    legalComments: "none",
    plugins: [cjsNamedExports(["undici"])],
    logLevel: "warning"
  })
  const entry = path.join(outdir, "nexos.mjs")
  const text = fs.readFileSync(entry, "utf8").replace(/^#!.*\n/, "")
  fs.writeFileSync(entry, "#!/usr/bin/env node\n" + text)
  fs.chmodSync(entry, 0o755)
  return entry
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = await bundle(process.argv[2] === undefined ? undefined : path.resolve(process.argv[2]))
  console.log(path.relative(process.cwd(), entry))
}
