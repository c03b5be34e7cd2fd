#!/usr/bin/env node
// The package's `dbadmin` binary: runs the TypeScript CLI through tsx.
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const cli = path.join(__dirname, '..', 'cli', 'dbadmin.ts')
const result = spawnSync(process.execPath, ['--import', 'tsx', cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: process.cwd(),
})
process.exit(result.status ?? 1)
