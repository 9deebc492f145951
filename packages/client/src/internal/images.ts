import * as Images from "@nexos-effect/schema/Images"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as NexosClient from "../NexosClient.js"
import type * as NexosError from "../NexosError.js"
import * as Endpoint from "./endpoint.js"
import * as Transport from "./transport.js"

/** `/v1/images/generations`. */
export interface Service {
  /** Generates images from a prompt: URLs by default, base64 with `response_format: "b64_json"`. */
  readonly generate: (
    request: Images.ImageGenerationRequest,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Images.ImagesResponse, NexosError.NexosError>
}

const validate = Endpoint.validator(Images.ImageGenerationRequest, "image generation request")

export const make = (ctx: Endpoint.Context): Service => {
  const read = Endpoint.readJson(ctx.config, Images.ImagesResponse)
  return {
    generate: (request, options) =>
      Either.match(validate(request), {
        onLeft: (error) => Effect.fail(error),
        onRight: (valid) =>
          ctx.execute(
            (overrides) => Transport.buildRequest(ctx.config, "POST", "/images/generations", valid, overrides),
            options,
            read
          )
      }).pipe(Endpoint.span("images.generate", { "gen_ai.request.model": request.model }))
  }
}
