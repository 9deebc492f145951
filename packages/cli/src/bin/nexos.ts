#!/usr/bin/env node
/**
 * The `nexos` binary. `--version` answers before any module is loaded.
 *
 * @since 0.1.0
 */
const argv = process.argv.slice(2)
if (argv.length === 1 && argv[0] === "--version") {
  process.stdout.write("0.1.0\n")
} else {
  const Cli = await import("../Cli.js")
  Cli.main(argv)
}
