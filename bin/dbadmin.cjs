#!/usr/bin/env node
// The package's `dbadmin` binary: runs the TypeScript CLI through tsx.
const { spawn } = require('node:child_process')
const os = require('node:os')
const path = require('node:path')

const cli = path.join(__dirname, '..', 'cli', 'dbadmin.ts')
const child = spawn(process.execPath, ['--import', 'tsx', cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: process.cwd(),
  // A group of its own, so that a terminal's Ctrl-C reaches it once, through here: a second
  // SIGINT would tell a migration to quit at once instead of stopping cleanly.
  detached: true,
})
// The CLI handles stop signals itself (a migration cancels its statement on the server first):
// pass them on instead of dying here and leaving it orphaned.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  })
}
// Killed by a signal: 128 + its number, as a shell reports it, never 1 (which means findings).
child.on('exit', (code, signal) => {
  process.exitCode = signal ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 2)
})
child.on('error', (e) => {
  process.stderr.write(`dbadmin: cannot start the CLI: ${e.message}\n`)
  process.exitCode = 2
})
