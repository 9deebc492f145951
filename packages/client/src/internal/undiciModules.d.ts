// undici's own module paths used by `defaultAgent` (the package has no `exports` map, so they resolve as files).
declare module "undici/lib/dispatcher/agent.js" {
  import type { Agent } from "undici"
  const AgentClass: typeof Agent
  export default AgentClass
}

declare module "undici/lib/api/api-request.js" {
  import type { Dispatcher } from "undici"
  const request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>
  export default request
}
