import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as ApiKeys from "@nexos-effect/schema/ApiKeys"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as ModelFallbacks from "@nexos-effect/schema/ModelFallbacks"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { Answer, ErrorBody } from "./files.js"

interface Key {
  readonly id: string
  value: string
  name: string
  enabled: boolean
  removed: boolean
  readonly created_at: string
  updated_at: string
  last_used_at: string | null
  expiration_date: string | null
}

interface Agent {
  readonly id: string
  readonly name: string
  readonly description: string | null
  readonly instructions: string
  readonly model: string
  readonly created_at: string
  readonly shared: boolean
}

interface Fallbacks {
  readonly id: string
  fallback_ids: ReadonlyArray<string>
  readonly created_at: string
  updated_at: string
}

export interface ManagementConfig {
  readonly errorBody: ErrorBody
  /** The model ids (`nexos_model_id`) the gateway knows. */
  readonly modelIds: ReadonlySet<string>
  /** The key the request was made with. */
  readonly callerKey: string | undefined
  /** Replaces the gateway's own key (after a rotation of it). */
  readonly rotateGatewayKey: (value: string) => void
}

const jsonAnswer = (status: number, body: unknown, headers: Record<string, string>): Answer => ({
  _tag: "Json",
  status,
  headers,
  body: JSON.stringify(body)
})

const noContent = (headers: Record<string, string>): Answer => ({
  _tag: "Response",
  response: HttpServerResponse.empty({ status: 204, headers })
})

const validator = <A, I>(schema: Schema.Schema<A, I>) => {
  const validate = Schema.validateEither(schema, { errors: "all" })
  return (u: unknown) => Either.mapLeft(validate(u), ChatCompletionRequest.issuesOf)
}

const validateCreate = validator(ApiKeys.CreateApiKeyRequest)
const validateUpdate = validator(ApiKeys.UpdateApiKeyRequest)
const validateBulk = validator(ApiKeys.BulkUpdateRequest)
const validateFallbacks = validator(ModelFallbacks.FallbacksRequest)

const defaultAgents = (created: number): ReadonlyArray<Agent> =>
  [
    ["Support triage", "Sorts incoming tickets by urgency.", "GPT 4.1 mini", false],
    ["Contract reviewer", "Flags risky clauses in contracts.", "Claude Sonnet 4.5", false],
    ["Team glossary", "Answers with the team's terms.", "Gemini 2.5 Flash", true]
  ].map(([name, description, model, shared], i) => ({
    id: `a0000000-0000-4000-8000-00000000000${i + 1}`,
    name: name as string,
    description: description as string,
    instructions: `You are ${name}. ${description}`,
    model: model as string,
    created_at: new Date((created + i * 86_400) * 1000).toISOString(),
    shared: shared as boolean
  }))

/** API keys, agents and model fallbacks. */
export class Management {
  readonly userKeys = new Map<string, Key>()
  readonly teamKeys = new Map<string, Map<string, Key>>()
  readonly fallbacks = new Map<string, Fallbacks>()
  readonly agents: ReadonlyArray<Agent>
  private seq = 0

  constructor(readonly created: number) {
    this.agents = defaultAgents(created)
  }

  clear(): void {
    this.userKeys.clear()
    this.teamKeys.clear()
    this.fallbacks.clear()
  }

  /** Whether a key created through the API may call the gateway. */
  accepts(value: string): boolean {
    const now = Date.now()
    for (const key of this.allKeys()) {
      if (key.value !== value) continue
      return key.enabled && !key.removed && (key.expiration_date === null || Date.parse(key.expiration_date) > now)
    }
    return false
  }

  private *allKeys(): Iterable<Key> {
    yield* this.userKeys.values()
    for (const team of this.teamKeys.values()) yield* team.values()
  }

  private newValue(prefix: string): string {
    const bytes = new Uint8Array(16)
    globalThis.crypto.getRandomValues(bytes)
    return `${prefix}${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`
  }

  private newId(): string {
    return `b0000000-0000-4000-8000-${String(++this.seq).padStart(12, "0")}`
  }

  route(
    config: ManagementConfig,
    method: string,
    path: string,
    url: URL,
    body: Either.Either<unknown, string>,
    headers: Record<string, string>
  ): Answer | undefined {
    if (path === "/v1/apikey/rotate" && method === "PATCH") return this.rotate(config, headers)
    if (path === "/v1/agents" || path === "/v1/assistants") {
      return method === "GET" ? this.listAgents(url, headers) : undefined
    }
    const user = /^\/v1\/user\/api_keys(?:\/([^/]+))?(\/regenerate)?$/.exec(path)
    if (user !== null) return this.keys(config, this.userKeys, "nexos-", method, user[1], user[2], body, headers)
    const team = /^\/v1\/teams\/([^/]+)\/api_keys(?:\/([^/]+))?(\/regenerate)?$/.exec(path)
    if (team !== null) {
      const teamId = decodeURIComponent(team[1]!)
      let keys = this.teamKeys.get(teamId)
      if (keys === undefined) {
        keys = new Map()
        this.teamKeys.set(teamId, keys)
      }
      return this.keys(config, keys, "nexos-team-", method, team[2], team[3], body, headers)
    }
    const fallbacks = /^\/v1\/management\/models\/([^/]+)\/fallbacks$/.exec(path)
    if (fallbacks !== null) return this.modelFallbacks(config, decodeURIComponent(fallbacks[1]!), method, body, headers)
    return undefined
  }

  private shown(key: Key, full: boolean) {
    return {
      id: key.id,
      api_key: full ?
        key.value :
        `${key.value.slice(0, key.value.startsWith("nexos-team-") ? 11 : 6)}…${key.value.slice(-4)}`,
      name: key.name,
      enabled: key.enabled,
      removed: key.removed,
      created_at: key.created_at,
      updated_at: key.updated_at,
      last_used_at: key.last_used_at,
      expiration_date: key.expiration_date
    }
  }

  private keys(
    config: ManagementConfig,
    keys: Map<string, Key>,
    prefix: string,
    method: string,
    keyId: string | undefined,
    regenerate: string | undefined,
    body: Either.Either<unknown, string>,
    headers: Record<string, string>
  ): Answer | undefined {
    const bad = (message: string, param: string | null) =>
      jsonAnswer(400, config.errorBody(400, message, param, "invalid_value"), headers)
    const issues = (list: ReadonlyArray<ChatCompletionRequest.Issue>) =>
      bad(ChatCompletionRequest.formatIssues(list), list[0]?.path ?? null)
    const parsed = Either.getOrUndefined(body)
    const now = new Date().toISOString()
    if (keyId === "bulk" && regenerate === undefined) {
      if (method !== "POST") return undefined
      const valid = validateBulk(parsed)
      if (Either.isLeft(valid)) return issues(valid.left)
      const out = []
      for (const item of valid.right.items) {
        const key = keys.get(item.id)
        if (key === undefined) {
          return jsonAnswer(404, config.errorBody(404, `API key ${item.id} not found`, "id"), headers)
        }
        if (item.name !== undefined) key.name = item.name
        if (item.enabled !== undefined) key.enabled = item.enabled
        if (item.expiration_date !== undefined) key.expiration_date = item.expiration_date
        if (item.remove === true) key.removed = true
        key.updated_at = now
        out.push(this.shown(key, false))
      }
      return jsonAnswer(200, out, headers)
    }
    if (keyId === undefined) {
      if (method === "GET") {
        return jsonAnswer(200, [...keys.values()].filter((k) => !k.removed).map((k) => this.shown(k, false)), headers)
      }
      if (method !== "POST") return undefined
      const valid = validateCreate(parsed)
      if (Either.isLeft(valid)) return issues(valid.left)
      if ([...keys.values()].some((k) => !k.removed && k.name === valid.right.name)) {
        return bad(`An API key named ${JSON.stringify(valid.right.name)} already exists`, "name")
      }
      const key: Key = {
        id: this.newId(),
        value: this.newValue(prefix),
        name: valid.right.name,
        enabled: true,
        removed: false,
        created_at: now,
        updated_at: now,
        last_used_at: null,
        expiration_date: valid.right.expiration_date ?? null
      }
      keys.set(key.id, key)
      return jsonAnswer(201, this.shown(key, true), headers)
    }
    const key = keys.get(decodeURIComponent(keyId))
    if (key === undefined || key.removed) {
      return jsonAnswer(404, config.errorBody(404, `API key ${keyId} not found`, "keyId", "not_found"), headers)
    }
    if (regenerate !== undefined) {
      if (method !== "PATCH") return undefined
      key.value = this.newValue(prefix)
      key.updated_at = now
      return jsonAnswer(200, this.shown(key, true), headers)
    }
    if (method === "DELETE") {
      key.removed = true
      return noContent(headers)
    }
    if (method !== "PATCH") return undefined
    const valid = validateUpdate(parsed)
    if (Either.isLeft(valid)) return issues(valid.left)
    key.name = valid.right.name
    if (valid.right.enabled !== undefined) key.enabled = valid.right.enabled
    if (valid.right.expiration_date !== undefined) key.expiration_date = valid.right.expiration_date
    key.updated_at = now
    return jsonAnswer(200, this.shown(key, false), headers)
  }

  private rotate(config: ManagementConfig, headers: Record<string, string>): Answer {
    const caller = config.callerKey
    if (caller === undefined) {
      return jsonAnswer(401, config.errorBody(401, "Not authenticated via an API key", null), headers)
    }
    for (const key of this.allKeys()) {
      if (key.value === caller) {
        key.value = this.newValue(key.value.startsWith("nexos-team-") ? "nexos-team-" : "nexos-")
        key.updated_at = new Date().toISOString()
        return jsonAnswer(200, { id: key.id, api_key: key.value }, headers)
      }
    }
    const value = this.newValue("nexos-")
    config.rotateGatewayKey(value)
    return jsonAnswer(200, { api_key: value }, headers)
  }

  private listAgents(url: URL, headers: Record<string, string>): Answer {
    const params = url.searchParams
    const limit = Number(params.get("limit") ?? 100)
    const offset = Number(params.get("offset") ?? 0)
    const field = params.get("sort_by.field")
    const order = params.get("sort_by.order")
    const shared = params.get("include_shared") === "true"
    let agents = this.agents.filter((a) => shared || !a.shared)
    if (field === "name" || field === "created_at") {
      agents = [...agents].sort((a, b) => a[field].localeCompare(b[field]) * (order === "desc" ? -1 : 1))
    }
    const page = agents.slice(offset, offset + limit).map(({ shared: _shared, ...agent }) => agent)
    return jsonAnswer(200, { data: page, total: agents.length }, headers)
  }

  private modelFallbacks(
    config: ManagementConfig,
    model: string,
    method: string,
    body: Either.Either<unknown, string>,
    headers: Record<string, string>
  ): Answer | undefined {
    if (!config.modelIds.has(model)) {
      return jsonAnswer(404, { error: { code: 100110, message: "Model not found" } }, headers)
    }
    const existing = this.fallbacks.get(model)
    const none = () =>
      jsonAnswer(404, config.errorBody(404, `No fallbacks are configured for ${model}`, "model", "not_found"), headers)
    const set = (status: number) => {
      const valid = validateFallbacks(Either.getOrUndefined(body))
      if (Either.isLeft(valid)) {
        return jsonAnswer(
          400,
          config.errorBody(400, ChatCompletionRequest.formatIssues(valid.left), "models", "invalid_value"),
          headers
        )
      }
      const unknown = valid.right.models.find((id) => !config.modelIds.has(id) || id === model)
      if (unknown !== undefined) {
        return jsonAnswer(
          400,
          config.errorBody(
            400,
            unknown === model ? "A model cannot fall back to itself" : `Unknown fallback model ${unknown}`,
            "models"
          ),
          headers
        )
      }
      const now = new Date().toISOString()
      const entry: Fallbacks = existing ?? { id: model, fallback_ids: [], created_at: now, updated_at: now }
      entry.fallback_ids = valid.right.models
      entry.updated_at = now
      this.fallbacks.set(model, entry)
      return jsonAnswer(status, entry, headers)
    }
    switch (method) {
      case "GET":
        return existing === undefined ? none() : jsonAnswer(200, existing, headers)
      case "POST":
        return existing === undefined
          ? set(201)
          : jsonAnswer(409, config.errorBody(409, `Fallbacks for ${model} exist; update them`, "model"), headers)
      case "PATCH":
        return existing === undefined ? none() : set(200)
      case "DELETE":
        if (existing === undefined) return none()
        this.fallbacks.delete(model)
        return noContent(headers)
      default:
        return undefined
    }
  }
}
