#!/usr/bin/env node
/**
 * `pnpm mock`: runs the mock gateway standalone. Flags: `--port <n>` (default 8787, 0 for a free one),
 * `--key <key>`, `--replay <dir>` (serve recordings, `--fallback` to generate when one is missing), `--no-auth`,
 * `--no-parent-watch`. It stops on SIGINT / SIGTERM and, unless `--no-parent-watch`, when a process that started it
 * ends (killing the program that ran `pnpm mock` stops the gateway too).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as ParentWatch from "../internal/parentWatch.js"
import * as MockGateway from "../MockGateway.js"

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`)
  if (at >= 0) return args[at + 1]
  const inline = args.find((a) => a.startsWith(`--${name}=`))
  return inline?.slice(name.length + 3)
}

if (args.includes("--help") || args.includes("-h")) {
  console.log(
    "usage: mock [--port 8787] [--key nexos-mock-key] [--replay dir [--fallback]] [--no-auth] [--no-parent-watch]"
  )
  process.exit(0)
}

const port = Number(flag("port") ?? process.env.PORT ?? 8787)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${flag("port")}`)
  process.exit(2)
}
const key = flag("key")
const replay = flag("replay")

if (!args.includes("--no-parent-watch")) {
  ParentWatch.watch((pid) => {
    console.error(`nexos mock gateway: process ${pid} that started it has ended, stopping`)
    process.kill(process.pid, "SIGTERM")
  })
}

NodeRuntime.runMain(MockGateway.serve({
  port,
  auth: !args.includes("--no-auth"),
  ...(key === undefined ? {} : { apiKey: key }),
  ...(replay === undefined ? {} : { replay: { dir: replay, fallback: args.includes("--fallback") } })
}))
