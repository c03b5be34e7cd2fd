import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { type EmbeddedCluster, startCluster } from '../lib/embedded/cluster'

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string
  }
}

let cluster: EmbeddedCluster | undefined

/** One real PostgreSQL 15 for the whole run, started by the same launcher the app uses. */
export async function setup(project: TestProject) {
  cluster = await startCluster({
    pgdata: path.resolve('.data/test/postgres'),
    password: 'test-only-password',
    whenRunning: 'adopt',
  })
  project.provide('pgAdminUrl', cluster.url('postgres'))
}

export async function teardown() {
  await cluster?.stop()
}
