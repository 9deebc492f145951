import * as ChildProcess from "node:child_process"
import * as Net from "node:net"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import Pg from "pg"

const here = Path.dirname(fileURLToPath(import.meta.url))
const repo = Path.resolve(here, "../../../..")
const runnerSource = Path.join(repo, "packages/cluster/src/bin/runner.ts")
const runnerTsconfig = Path.join(here, "../runner.tsconfig.json")

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** The PostgreSQL of the test run: `NEXOS_TEST_PG_URL` (`.ci/run` starts one with `scripts/postgres.sh`), else
 * `undefined` and the PostgreSQL tests are skipped. */
export const postgresUrl = (): string | undefined => process.env.NEXOS_TEST_PG_URL || undefined

export interface Runner {
  readonly pid: number
  readonly port: number
  readonly output: () => string
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>
}

/** Starts `nexos-cluster-runner` from its TypeScript source in a child process. */
export const startRunner = async (env: Record<string, string>): Promise<Runner> => {
  const port = await freePort()
  const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", runnerSource], {
    env: { ...process.env, ...env, NEXOS_RUNNER_PORT: String(port), TSX_TSCONFIG_PATH: runnerTsconfig },
    stdio: ["ignore", "pipe", "pipe"],
    cwd: repo
  })
  let output = ""
  child.stdout.on("data", (data) => output += String(data))
  child.stderr.on("data", (data) => output += String(data))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  return {
    pid: child.pid!,
    port,
    output: () => output,
    kill: async (signal = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, signal)
        await exited
      }
    }
  }
}

/** A fresh database on the test's PostgreSQL (so runs never see each other's cluster state); `drop` removes it. */
export const freshDatabase = async (
  url: string,
  name: string
): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> => {
  const admin = new Pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const target = new URL(url)
  target.pathname = `/${name}`
  return {
    url: target.toString(),
    drop: async () => {
      const client = new Pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(`drop database if exists ${name} with (force)`)
      } finally {
        await client.end()
      }
    }
  }
}
