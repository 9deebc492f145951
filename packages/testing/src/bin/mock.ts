/**
 * `pnpm mock`: runs the mock gateway standalone. Flags: `--port <n>` (default 8787), `--key <key>`,
 * `--replay <dir>` (serve recordings, `--fallback` to generate when one is missing), `--no-auth`.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as MockGateway from "../MockGateway.js"

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`)
  if (at >= 0) return args[at + 1]
  const inline = args.find((a) => a.startsWith(`--${name}=`))
  return inline?.slice(name.length + 3)
}

if (args.includes("--help") || args.includes("-h")) {
  console.log("usage: mock [--port 8787] [--key nexos-mock-key] [--replay dir [--fallback]] [--no-auth]")
  process.exit(0)
}

const port = Number(flag("port") ?? process.env.PORT ?? 8787)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${flag("port")}`)
  process.exit(2)
}
const key = flag("key")
const replay = flag("replay")

NodeRuntime.runMain(MockGateway.serve({
  port,
  auth: !args.includes("--no-auth"),
  ...(key === undefined ? {} : { apiKey: key }),
  ...(replay === undefined ? {} : { replay: { dir: replay, fallback: args.includes("--fallback") } })
}))
