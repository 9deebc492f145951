import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const packages = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../..")

interface Graph {
  /** Source files loaded when the entry is imported (static imports, followed). */
  readonly files: ReadonlySet<string>
  /** Files those load with `import()`. */
  readonly lazy: ReadonlySet<string>
  /** Specifiers of other packages imported statically for their values. */
  readonly external: ReadonlySet<string>
}

const resolveSpecifier = (from: string, specifier: string): string | undefined => {
  if (specifier.startsWith(".")) return Path.resolve(Path.dirname(from), specifier.replace(/\.js$/, ".ts"))
  const own = /^@nexos-effect\/(schema|client)\/(.+)$/.exec(specifier)
  return own === null ? undefined : Path.join(packages, own[1]!, "src", `${own[2]}.ts`)
}

/** The module graph a fresh process loads for `entry`, read from the sources (`import type` loads nothing). */
const graphOf = (entry: string): Graph => {
  const files = new Set<string>()
  const lazy = new Set<string>()
  const external = new Set<string>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    const source = Fs.readFileSync(file, "utf8")
    const statements = source.matchAll(
      /^(import|export)( type)?\s+(?:(?:\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+)(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?\s+from\s+)?"([^"]+)"/gm
    )
    for (const [, , typeOnly, specifier] of statements) {
      if (typeOnly !== undefined) continue
      const target = resolveSpecifier(file, specifier!)
      if (target === undefined) external.add(specifier!)
      else visit(target)
    }
    for (const [, specifier] of source.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) {
      const target = resolveSpecifier(file, specifier!)
      if (target !== undefined) lazy.add(target)
    }
  }
  visit(entry)
  return { files, lazy, external }
}

const client = (file: string) => Path.join(packages, "client", "src", file)
const schema = (file: string) => Path.join(packages, "schema", "src", file)

describe("cold start: what importing NexosClient loads", () => {
  const graph = graphOf(client("NexosClient.ts"))

  it("loads chat, embeddings and models.list, not the other endpoint groups or their schemas", () => {
    const endpointModules = [
      "internal/files.ts",
      "internal/batches.ts",
      "internal/audio.ts",
      "internal/images.ts",
      "internal/apiKeys.ts",
      "internal/agents.ts",
      "internal/models.ts",
      "internal/endpoint.ts",
      "internal/multipart.ts",
      "internal/structured.ts",
      "StructuredOutput.ts",
      "StrictSchema.ts",
      "PartialJson.ts",
      "Upload.ts"
    ].map(client)
    const endpointSchemas = ["Files", "Batches", "Audio", "Images", "ApiKeys", "Agents", "ModelFallbacks"].map((name) =>
      schema(`${name}.ts`)
    )
    for (const file of [...endpointModules, ...endpointSchemas]) {
      assert.isFalse(graph.files.has(file), `${Path.relative(packages, file)} is loaded with NexosClient`)
    }
    for (const file of ["ChatStream.ts", "NexosError.ts", "internal/transport.ts", "internal/sseStream.ts"]) {
      assert.isTrue(graph.files.has(client(file)), file)
    }
    assert.isTrue(graph.files.has(schema("ChatCompletionRequest.ts")))
  })

  it("loads each endpoint group's module on first use, with import()", () => {
    for (const file of ["files", "batches", "audio", "images", "apiKeys", "agents", "models", "structured"]) {
      assert.isTrue(graph.lazy.has(client(`internal/${file}.ts`)), file)
      assert.isTrue(Fs.existsSync(client(`internal/${file}.ts`)), file)
    }
  })

  it("imports undici only when a layerUndici is built, and Effect by module path (no barrels)", () => {
    const external = [...graph.external]
    assert.notInclude(external, "undici")
    for (const specifier of external.filter((s) => s === "effect" || s.startsWith("@effect/"))) {
      assert.match(specifier, /^(effect|@effect\/[a-z-]+)\/[A-Za-z]+$/, specifier)
    }
    assert.include(external, "effect/Effect")
  })
})
