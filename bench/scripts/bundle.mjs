// `node bench/scripts/bundle.mjs`: bundles the bench's app (dist/app.js, compiled by `tsc -b`) into one ES module,
// dist/app.bundle.mjs, with the esbuild options the root README gives users. Run by the root `pnpm build`.
import * as esbuild from "esbuild"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist")

await esbuild.build({
  entryPoints: [path.join(dist, "app.js")],
  outfile: path.join(dist, "app.bundle.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: "warning"
})
console.log(path.relative(process.cwd(), path.join(dist, "app.bundle.mjs")))
