import 'server-only'
import { cache } from 'react'
import { ActionError } from '@/lib/auth/action-result'
import { migratorDb, stateDb, targetDb } from '@/lib/db/server-dbs'
import { type TargetIdentity, targetIdentity } from '@/lib/db/target-identity'
import { dorMigrationSet } from '@/lib/migrations/registry'
import { runLockHeld } from '@/lib/migrations/run-lock'
import { type ApplyRequest, planApply } from '@/lib/migrations/runner'
import type { MigrationsOverview } from '@/lib/migrations/status'
import { migrationStatus } from '@/lib/migrations/status'
import { serverEnv } from '@/lib/runtime/server-env'

// Loaded once per request and shared by the page's sections, each in its own Suspense boundary.

export const loadStatus = cache(async () => migrationStatus(migratorDb(), stateDb(), await dorMigrationSet()))

/** Whether some session holds the migration run lock now; null when the target does not answer. */
export const loadLockHeld = cache(async (): Promise<boolean | null> => {
  try {
    return await runLockHeld(serverEnv().capabilities.monitor)
  } catch {
    return null
  }
})

/**
 * The target's identity, which the run history is keyed by. Read once per server process: a
 * target that answered once keeps its history visible while it is down.
 */
export const loadTarget = cache((): Promise<TargetIdentity> => targetIdentity(targetDb()))

/** What one apply button would run, in order, or why the runner would refuse it. */
export type ApplyChoice = { plan: string[] } | { refused: string }

export interface ApplyChoices {
  next: ApplyChoice
  all: ApplyChoice
  /** One per pending migration, for "Apply up to…". */
  upTo: { name: string; choice: ApplyChoice }[]
}

function choose(status: MigrationsOverview, request: ApplyRequest): ApplyChoice {
  try {
    // The runner's own rule, so the confirmation lists exactly what the run will do.
    return { plan: planApply(status.pending, status.lastApplied, request) }
  } catch (e) {
    if (e instanceof ActionError) return { refused: e.message }
    throw e
  }
}

export function applyChoices(status: MigrationsOverview): ApplyChoices {
  return {
    next: choose(status, { next: true }),
    all: choose(status, { all: true }),
    upTo: status.pending.map((name) => ({ name, choice: choose(status, { to: name }) })),
  }
}
