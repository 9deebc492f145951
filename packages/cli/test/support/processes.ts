import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Bundle from "../../scripts/bundle.mjs"

const here = Path.dirname(fileURLToPath(import.meta.url))
const repo = Path.resolve(here, "../../../..")

let binary: string | undefined
let bundleDir: string | undefined

/** Bundles the binary from the sources (as `pnpm build` does) into a temporary directory; `start` runs it. */
export const build = async (): Promise<string> => {
  if (binary === undefined) {
    bundleDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "nexos-cli-bin-"))
    binary = await Bundle.bundle(bundleDir)
  }
  return binary
}

const binaryPath = (): string => {
  if (binary === undefined) throw new Error("call Processes.build() in beforeAll first")
  return binary
}

/** A shell command line running the bundled `nexos` with `args` (for `script -c`). */
export const commandLine = (args: ReadonlyArray<string>): string =>
  [process.execPath, binaryPath(), ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ")

/** The environment of a spawned `nexos`: the test's own minus every `NEXOS_*` variable and `NO_COLOR`. */
export const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("NEXOS_") && name !== "NO_COLOR") env[name] = value
  }
  return { ...env, ...extra }
}

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

/** Starts the bundled `nexos` (see `build`) with `cleanEnv`; `command` runs something else (e.g. `script`). */
export interface StartOptions {
  readonly env?: Record<string, string>
  readonly stdin?: string
  readonly cwd?: string
  readonly command?: ReadonlyArray<string>
  readonly keepStdinOpen?: boolean
}

export const start = (
  args: ReadonlyArray<string>,
  options: StartOptions = {}
): Running & { readonly write: (text: string) => void; readonly endInput: () => void } => {
  const [file, ...rest] = options.command ?? [process.execPath, binaryPath()]
  const child = ChildProcess.spawn(file, [...rest, ...args], {
    env: cleanEnv(options.env),
    stdio: [options.stdin === undefined && options.keepStdinOpen !== true ? "ignore" : "pipe", "pipe", "pipe"],
    cwd: options.cwd ?? repo
  })
  if (options.stdin !== undefined && options.keepStdinOpen !== true) child.stdin!.end(options.stdin)
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
    write: (text) => void child.stdin?.write(text),
    endInput: () => void child.stdin?.end(),
    stdout: () => stdout,
    stderr: () => stderr,
    finished,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal)
    }
  }
}

const started = new Set<() => void>()

/** Kills (by PID) every process `start` started that still runs, and removes the bundle. */
export const killAll = (): void => {
  for (const kill of started) kill()
  if (bundleDir !== undefined) Fs.rmSync(bundleDir, { recursive: true, force: true })
}

/** Runs `nexos` to its end. */
export const run = (
  args: ReadonlyArray<string>,
  options?: StartOptions
): Promise<Finished> => start(args, options).finished
