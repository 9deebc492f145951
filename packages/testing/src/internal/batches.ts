import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Answer, ErrorBody, FileStore } from "./files.js"

/** What one request of a batch gave: an HTTP status and body. */
export interface LineResult {
  readonly status: number
  readonly body: unknown
}

export interface BatchesConfig {
  readonly files: FileStore
  readonly errorBody: ErrorBody
  /** Runs one request of a batch the way the gateway would answer it. */
  readonly run: (url: string, body: unknown, requestId: string) => LineResult
  /** Delay between two steps of a batch's lifecycle. */
  readonly stepMs: number
  /** How many requests one `in_progress` step runs. */
  readonly requestsPerStep: number
  /** Runs background work for the lifetime of the gateway. */
  readonly background: (work: Effect.Effect<void>) => Effect.Effect<void>
}

interface InputLine {
  readonly custom_id: string
  readonly url: string
  readonly body: unknown
}

interface MockBatch {
  readonly seq: number
  json: Record<string, unknown>
  lines: ReadonlyArray<InputLine>
  next: number
  outcome: "completed" | "failed" | "expired"
  expireAfter: number
  cancel: boolean
  readonly outputs: Array<string>
  readonly errors: Array<string>
}

const now = () => Math.floor(Date.now() / 1000)

const jsonAnswer = (status: number, body: unknown, headers: Record<string, string>): Answer => ({
  _tag: "Json",
  status,
  headers,
  body: JSON.stringify(body)
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The mock's batches: each runs in the background, one lifecycle step every `stepMs`. */
export class BatchStore {
  readonly batches = new Map<string, MockBatch>()
  private seq = 0
  private requestSeq = 0

  clear(): void {
    this.batches.clear()
  }

  create(config: BatchesConfig, body: unknown, headers: Record<string, string>): Effect.Effect<Answer> {
    return Effect.suspend(() => {
      const invalid = (message: string, param: string | null, code = "invalid_value") =>
        Effect.succeed(jsonAnswer(400, config.errorBody(400, message, param, code), headers))
      if (!isRecord(body)) return invalid("The body must be a JSON object", null, "invalid_json")
      const { completion_window, endpoint, input_file_id, metadata } = body
      if (typeof input_file_id !== "string" || input_file_id === "") {
        return invalid("Missing required parameter: 'input_file_id'", "input_file_id", "missing_required_parameter")
      }
      if (endpoint !== "/v1/chat/completions" && endpoint !== "/v1/embeddings") {
        return invalid(`Invalid endpoint ${JSON.stringify(endpoint)}`, "endpoint")
      }
      if (completion_window !== "24h") return invalid("completion_window must be 24h", "completion_window")
      if (metadata !== undefined && metadata !== null && !isRecord(metadata)) {
        return invalid("metadata must be an object of strings", "metadata")
      }
      const file = config.files.get(input_file_id)
      if (file === undefined) {
        return Effect.succeed(jsonAnswer(
          404,
          config.errorBody(404, `No such File object: ${input_file_id}`, "input_file_id", "file_not_found"),
          headers
        ))
      }
      if (file.purpose !== "batch") {
        return invalid(`The input file must have purpose batch, not ${file.purpose}`, "input_file_id")
      }
      const seq = ++this.seq
      const id = `batch_mock_${String(seq).padStart(8, "0")}`
      const meta = (metadata ?? undefined) as Record<string, string> | undefined
      const created = now()
      const batch: MockBatch = {
        seq,
        json: {
          id,
          object: "batch",
          endpoint,
          errors: null,
          input_file_id,
          completion_window: "24h",
          status: "validating",
          output_file_id: null,
          error_file_id: null,
          created_at: created,
          in_progress_at: null,
          expires_at: created + 86_400,
          finalizing_at: null,
          completed_at: null,
          failed_at: null,
          expired_at: null,
          cancelling_at: null,
          cancelled_at: null,
          request_counts: { total: 0, completed: 0, failed: 0 },
          metadata: meta ?? null
        },
        lines: [],
        next: 0,
        outcome: meta?.mock_outcome === "failed"
          ? "failed"
          : meta?.mock_outcome === "expired"
          ? "expired"
          : "completed",
        expireAfter: Number(meta?.mock_expire_after ?? 0),
        cancel: false,
        outputs: [],
        errors: []
      }
      this.batches.set(id, batch)
      const text = config.files.readText(input_file_id) ?? ""
      return Effect.as(
        config.background(this.lifecycle(config, batch, text)),
        jsonAnswer(200, batch.json, headers)
      )
    })
  }

  private lifecycle(config: BatchesConfig, batch: MockBatch, text: string): Effect.Effect<void> {
    const step = Effect.sleep(config.stepMs)
    const set = (fields: Record<string, unknown>) =>
      Effect.sync(() => {
        batch.json = { ...batch.json, ...fields }
      })
    return Effect.gen(this, function*() {
      yield* step
      const parsed = this.validate(batch, text)
      if (Either.isLeft(parsed) || batch.outcome === "failed") {
        const errors = Either.isLeft(parsed)
          ? parsed.left
          : [{ code: "mock_failed", message: "The batch failed (requested with metadata mock_outcome)", line: null }]
        return yield* set({ status: "failed", failed_at: now(), errors: { object: "list", data: errors } })
      }
      batch.lines = parsed.right
      if (batch.cancel) {
        return yield* set({
          status: "cancelled",
          cancelled_at: now(),
          request_counts: { total: batch.lines.length, completed: 0, failed: 0 }
        })
      }
      yield* set({
        status: "in_progress",
        in_progress_at: now(),
        request_counts: { total: batch.lines.length, completed: 0, failed: 0 }
      })
      while (batch.next < batch.lines.length && !batch.cancel) {
        if (batch.outcome === "expired" && batch.next >= batch.expireAfter) break
        yield* step
        if (batch.cancel) break
        const stop = Math.min(
          batch.lines.length,
          batch.next + config.requestsPerStep,
          batch.outcome === "expired" ? Math.max(batch.expireAfter, batch.next) : Number.MAX_SAFE_INTEGER
        )
        for (; batch.next < stop; batch.next++) this.runLine(config, batch, batch.lines[batch.next]!)
      }
      if (batch.cancel) {
        yield* step
        this.writeFiles(config, batch)
        return yield* set({ status: "cancelled", cancelled_at: now() })
      }
      if (batch.outcome === "expired") {
        for (let i = batch.next; i < batch.lines.length; i++) {
          batch.errors.push(JSON.stringify({
            id: `batch_req_mock_${++this.requestSeq}`,
            custom_id: batch.lines[i]!.custom_id,
            response: null,
            error: {
              code: "batch_expired",
              message: "This request could not be executed before the completion window expired."
            }
          }))
        }
        this.writeFiles(config, batch)
        return yield* set({ status: "expired", expired_at: now() })
      }
      yield* set({ status: "finalizing", finalizing_at: now() })
      yield* step
      this.writeFiles(config, batch)
      yield* set({ status: "completed", completed_at: now() })
    })
  }

  private validate(
    batch: MockBatch,
    text: string
  ): Either.Either<ReadonlyArray<InputLine>, ReadonlyArray<Record<string, unknown>>> {
    const errors: Array<Record<string, unknown>> = []
    const lines: Array<InputLine> = []
    const seen = new Set<string>()
    const rows = text.split("\n")
    rows.forEach((row, index) => {
      if (row.trim() === "") return
      const line = index + 1
      let value: unknown
      try {
        value = JSON.parse(row)
      } catch {
        errors.push({ code: "invalid_json_line", message: `Line ${line} is not valid JSON`, param: null, line })
        return
      }
      if (!isRecord(value) || typeof value.custom_id !== "string" || value.custom_id === "") {
        errors.push({ code: "missing_required_parameter", message: "custom_id is required", param: "custom_id", line })
        return
      }
      if (seen.has(value.custom_id)) {
        errors.push({
          code: "duplicate_custom_id",
          message: `The custom_id ${value.custom_id} is not unique`,
          param: "custom_id",
          line
        })
        return
      }
      seen.add(value.custom_id)
      if (value.method !== "POST") {
        errors.push({ code: "invalid_method", message: "method must be POST", param: "method", line })
        return
      }
      if (value.url !== batch.json.endpoint) {
        errors.push({
          code: "mismatched_url",
          message: `url ${JSON.stringify(value.url)} does not match the batch endpoint ${batch.json.endpoint}`,
          param: "url",
          line
        })
        return
      }
      lines.push({ custom_id: value.custom_id, url: String(value.url), body: value.body })
    })
    if (lines.length === 0 && errors.length === 0) {
      errors.push({ code: "empty_file", message: "The input file has no requests", param: null, line: null })
    }
    if (lines.length > 50_000) {
      errors.push({
        code: "too_many_requests",
        message: "A batch holds at most 50000 requests",
        param: null,
        line: null
      })
    }
    return errors.length > 0 ? Either.left(errors) : Either.right(lines)
  }

  private runLine(config: BatchesConfig, batch: MockBatch, line: InputLine): void {
    const requestId = `req_mock_batch_${++this.requestSeq}`
    const result = config.run(line.url, line.body, requestId)
    const out = JSON.stringify({
      id: `batch_req_mock_${this.requestSeq}`,
      custom_id: line.custom_id,
      response: { status_code: result.status, request_id: requestId, body: result.body },
      error: null
    })
    const counts = batch.json.request_counts as { total: number; completed: number; failed: number }
    if (result.status === 200) {
      batch.outputs.push(out)
      batch.json = { ...batch.json, request_counts: { ...counts, completed: counts.completed + 1 } }
    } else {
      batch.errors.push(out)
      batch.json = { ...batch.json, request_counts: { ...counts, failed: counts.failed + 1 } }
    }
  }

  private writeFiles(config: BatchesConfig, batch: MockBatch): void {
    const id = batch.json.id as string
    const jsonl = (rows: ReadonlyArray<string>) => [...rows].reverse().map((r) => `${r}\n`).join("")
    if (batch.outputs.length > 0) {
      batch.json.output_file_id = config.files.addText(`${id}_output.jsonl`, "batch_output", jsonl(batch.outputs)).id
    }
    if (batch.errors.length > 0) {
      batch.json.error_file_id = config.files.addText(`${id}_error.jsonl`, "batch_output", jsonl(batch.errors)).id
    }
  }

  route(
    config: BatchesConfig,
    request: HttpServerRequest.HttpServerRequest,
    path: string,
    parsed: Either.Either<unknown, string>,
    headers: Record<string, string>
  ): Effect.Effect<Answer> | undefined {
    const method = request.method
    if (path === "/v1/batches") {
      if (method === "POST") {
        return Either.isLeft(parsed)
          ? Effect.succeed(jsonAnswer(
            400,
            config.errorBody(
              400,
              `We could not parse the JSON body of your request: ${parsed.left}`,
              null,
              "invalid_json"
            ),
            headers
          ))
          : this.create(config, parsed.right, headers)
      }
      if (method === "GET") return Effect.succeed(this.list(config, new URL(request.url, "http://mock"), headers))
      return undefined
    }
    const match = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path)
    if (match === null) return undefined
    const id = decodeURIComponent(match[1]!)
    const batch = this.batches.get(id)
    const cancel = match[2] !== undefined
    if ((cancel && method !== "POST") || (!cancel && method !== "GET")) return undefined
    if (batch === undefined) {
      return Effect.succeed(
        jsonAnswer(404, config.errorBody(404, `No batch found with id '${id}'`, "batch_id", "batch_not_found"), headers)
      )
    }
    if (cancel) {
      const status = batch.json.status as string
      if (status !== "validating" && status !== "in_progress") {
        return Effect.succeed(jsonAnswer(
          409,
          config.errorBody(409, `Cannot cancel a batch with status ${status}`, null, "batch_not_cancellable"),
          headers
        ))
      }
      batch.cancel = true
      batch.json = { ...batch.json, status: "cancelling", cancelling_at: now() }
      if (status === "validating") batch.outcome = "completed"
    }
    return Effect.succeed(jsonAnswer(200, batch.json, headers))
  }

  private list(config: BatchesConfig, url: URL, headers: Record<string, string>): Answer {
    const limitText = url.searchParams.get("limit")
    const limit = limitText === null ? 20 : Number(limitText)
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return jsonAnswer(400, config.errorBody(400, `Invalid limit: ${limitText}`, "limit", "invalid_value"), headers)
    }
    let all = [...this.batches.values()].sort((a, b) => b.seq - a.seq)
    const after = url.searchParams.get("after")
    if (after !== null) {
      const at = all.findIndex((b) => b.json.id === after)
      all = at < 0 ? [] : all.slice(at + 1)
    }
    const page = all.slice(0, limit)
    return jsonAnswer(200, {
      object: "list",
      data: page.map((b) => b.json),
      first_id: page[0]?.json.id ?? null,
      last_id: page[page.length - 1]?.json.id ?? null,
      has_more: all.length > page.length
    }, headers)
  }
}
