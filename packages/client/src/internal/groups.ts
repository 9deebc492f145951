/**
 * The client's endpoint groups beside chat, embeddings and `models.list` (files, storage, batches, audio, images,
 * API keys, agents, model helpers) and structured output, each loaded with `import()` on its first call, so that the
 * client's own module and a program that only chats load none of them or their schemas.
 */
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import type * as Models from "@nexos-effect/schema/Models"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as NexosClient from "../NexosClient.js"
import type * as NexosError from "../NexosError.js"
import type * as AgentsApi from "./agents.js"
import type * as ApiKeysApi from "./apiKeys.js"
import type * as AudioApi from "./audio.js"
import type * as BatchesApi from "./batches.js"
import type * as Endpoint from "./endpoint.js"
import type * as FilesApi from "./files.js"
import type * as ImagesApi from "./images.js"
import * as Lazy from "./lazy.js"
import type * as ModelsApi from "./models.js"
import type * as Structured from "./structured.js"

const modules = {
  agents: Lazy.module(() => import("./agents.js")),
  apiKeys: Lazy.module(() => import("./apiKeys.js")),
  audio: Lazy.module(() => import("./audio.js")),
  batches: Lazy.module(() => import("./batches.js")),
  files: Lazy.module(() => import("./files.js")),
  images: Lazy.module(() => import("./images.js")),
  models: Lazy.module(() => import("./models.js")),
  structured: Lazy.module(() => import("./structured.js"))
}

const filesShape: Lazy.Shape<FilesApi.Service> = {
  upload: "effect",
  list: "stream",
  listPage: "effect",
  get: "effect",
  content: "stream",
  delete: "effect"
}

const keysShape: Lazy.Shape<ApiKeysApi.KeysService> = {
  list: "effect",
  create: "effect",
  bulkUpdate: "effect",
  update: "effect",
  delete: "effect",
  regenerate: "effect"
}

const shapes = {
  models: {
    resolve: "effect",
    fallbacks: { get: "effect", create: "effect", update: "effect", delete: "effect" }
  } satisfies Lazy.Shape<ModelsApi.Service>,
  batches: {
    create: "effect",
    get: "effect",
    list: "stream",
    listPage: "effect",
    cancel: "effect"
  } satisfies Lazy.Shape<BatchesApi.Service>,
  audio: {
    speech: "stream",
    transcriptions: { create: "effect" },
    translations: { create: "effect" }
  } satisfies Lazy.Shape<AudioApi.Service>,
  images: { generate: "effect" } satisfies Lazy.Shape<ImagesApi.Service>,
  apiKeys: { user: keysShape, team: ["group", keysShape], rotate: "effect" } satisfies Lazy.Shape<ApiKeysApi.Service>,
  agents: { list: "effect", stream: "stream" } satisfies Lazy.Shape<AgentsApi.Service>
}

/** The groups of one client. */
export interface Groups {
  readonly models: ModelsApi.Service
  readonly files: FilesApi.Service
  readonly storage: FilesApi.Service
  readonly batches: BatchesApi.Service
  readonly audio: AudioApi.Service
  readonly images: ImagesApi.Service
  readonly apiKeys: ApiKeysApi.Service
  readonly agents: AgentsApi.Service
}

export const make = (
  ctx: Endpoint.Context,
  listModels: (options?: NexosClient.RequestOptions) => Effect.Effect<Models.ModelList, NexosError.NexosError>
): Groups => ({
  models: Lazy.service(modules.models, (api) => api.make(ctx, listModels), shapes.models),
  files: Lazy.service(modules.files, (api) => api.make(ctx, "/files"), filesShape),
  storage: Lazy.service(modules.files, (api) => api.make(ctx, "/storage"), filesShape),
  batches: Lazy.service(modules.batches, (api) => api.make(ctx), shapes.batches),
  audio: Lazy.service(modules.audio, (api) => api.make(ctx), shapes.audio),
  images: Lazy.service(modules.images, (api) => api.make(ctx), shapes.images),
  apiKeys: Lazy.service(modules.apiKeys, (api) => api.make(ctx), shapes.apiKeys),
  agents: Lazy.service(modules.agents, (api) => api.make(ctx), shapes.agents)
})

type Request = ChatCompletionRequest.ChatCompletionRequest

/** `parse` and `parseStream` over the client's `create` and `streamChunks`. */
export const structured = <O>(
  create: (request: Request, options?: O) => Effect.Effect<ChatCompletion.ChatCompletion, NexosError.NexosError>,
  streamChunks: (
    request: Request,
    options?: O
  ) => Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, NexosError.NexosError>
): {
  readonly parse: ReturnType<typeof Structured.parse<O>>
  readonly parseStream: ReturnType<typeof Structured.parseStream<O>>
} => ({
  parse: (request, schema, options) =>
    Effect.flatMap(modules.structured, (api) => api.parse(create)(request, schema, options)),
  parseStream: (request, schema, options) =>
    Stream.unwrap(Effect.map(modules.structured, (api) => api.parseStream(streamChunks)(request, schema, options)))
})
