import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const here = Path.dirname(fileURLToPath(import.meta.url))
const repo = Path.resolve(here, "../../../..")
const binSource = Path.join(repo, "packages/cli/src/bin/nexos.ts")
const tsconfig = Path.join(here, "../runner.tsconfig.json")

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Running {
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  readonly finished: Promise<Finished>
  /** Sends `signal` to the process by its PID if it still runs. */
  readonly signal: (signal: NodeJS.Signals) => void
}

/** Starts `nexos` from its TypeScript source; the environment is the test's own minus every `NEXOS_*` variable. */
export const start = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly stdin?: string; readonly cwd?: string } = {}
): Running => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("NEXOS_") && name !== "NO_COLOR") env[name] = value
  }
  const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", binSource, ...args], {
    env: { ...env, ...options.env, TSX_TSCONFIG_PATH: tsconfig },
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    cwd: options.cwd ?? repo
  })
  if (options.stdin !== undefined) child.stdin!.end(options.stdin)
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (data) => stdout += String(data))
  child.stderr!.on("data", (data) => stderr += String(data))
  const finished = new Promise<Finished>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL")
  }
  const timer = setTimeout(kill, 90_000)
  void finished.then(() => clearTimeout(timer))
  started.add(kill)
  void finished.then(() => started.delete(kill))
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    finished,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal)
    }
  }
}

const started = new Set<() => void>()

/** Kills (by PID) every process `start` started that still runs. */
export const killAll = (): void => {
  for (const kill of started) kill()
}

/** Runs `nexos` to its end. */
export const run = (
  args: ReadonlyArray<string>,
  options?: { readonly env?: Record<string, string>; readonly stdin?: string; readonly cwd?: string }
): Promise<Finished> => start(args, options).finished
