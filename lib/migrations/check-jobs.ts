import { z } from 'zod'
import { redactUrls } from '../redact-urls'
import { defineJobKind, type JobContext, type JobKind, type JobOutcome } from '../jobs/job-kind'
import { dryRun } from './dry-run'
import { rehearseRollbacks } from './rehearsal'
import { whatStopped } from './run-failure'
import { dorMigrationSet } from './registry'
import { detectDrift, replayCheck } from './replay'
import type { RunActor } from './run-store'
import type { ApplyRequest } from './runner'

// The Migrations page's four checks, which change nothing in the target: a dry run in a
// rolled-back transaction, and rehearsal, drift and replay on scratch databases. Operators may
// start and cancel them; each is retried once after a dead worker (it starts over).

const actor = z.object({ id: z.string().nullable(), label: z.string().min(1), source: z.enum(['dashboard', 'cli']) })

/** Statement parameters as plain values a browser or `--json` can take (dates, bigints, bytes as text). */
export function plainParameter(p: unknown): unknown {
  if (p === null || typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean') return p
  if (typeof p === 'bigint') return p.toString()
  if (p instanceof Date) return p.toISOString()
  if (p instanceof Uint8Array) return `\\x${Buffer.from(p).toString('hex')}`
  try {
    return JSON.stringify(p) ?? String(p)
  } catch {
    return String(p)
  }
}

/**
 * What stopped a check, as the user can act on it: no CREATEDB for the scratch database,
 * pg_dump/psql failing to copy the schema, a target that does not answer.
 */
export function checkFailure(what: string, e: unknown): string {
  return redactUrls(whatStopped(what, e)?.message ?? (e as Error)?.message ?? String(e))
}

async function outcomeOf<T extends { runId: number; message: string }>(ctx: JobContext, what: string, ok: (r: T) => boolean, run: () => Promise<T>): Promise<JobOutcome> {
  let r: T
  try {
    r = await run()
  } catch (e) {
    return { state: 'failed', message: `${what} could not run.`, error: checkFailure(what, e) }
  }
  await ctx.setRef(r.runId)
  return ok(r) ? { state: 'succeeded', message: r.message, result: r } : { state: 'failed', message: r.message, error: r.message, result: r }
}

function checkKind<I extends { actor: RunActor }>(spec: {
  kind: string
  queue: string
  title: string
  cancellable: boolean
  input: z.ZodType<I>
  run: (ctx: JobContext, input: I) => Promise<JobOutcome>
}): JobKind<I> {
  return defineJobKind<I>({
    ...spec,
    cancelPermission: 'checks.run',
    exclusive: (_input, target) => `${spec.kind}:${target.key}`,
    subject: (_input, target) => target.database,
    retryLimit: 1,
    expireInMinutes: 2 * 60,
    concurrency: 1,
    links: (job) => (job.refId === null ? [] : [{ label: `migration run #${job.refId}`, href: `/migrations#run-${job.refId}` }]),
  })
}

const scratchOptions = async (ctx: JobContext, actor: RunActor) => ({
  targetUrl: ctx.services.migratorUrl,
  target: ctx.services.migratorDb(),
  state: ctx.services.state,
  set: await dorMigrationSet(),
  actor,
  pgBinDir: ctx.services.settings.pgBinDir,
})

export type DryRunJobInput = { actor: RunActor; request: ApplyRequest }

export const dryRunJob = checkKind<DryRunJobInput>({
  kind: 'migrations.dry_run',
  queue: 'migration-dry-run',
  title: 'Migration dry run',
  cancellable: true,
  input: z.object({
    actor,
    request: z.union([z.object({ next: z.literal(true) }), z.object({ all: z.literal(true) }), z.object({ to: z.string().min(1) })]),
  }) as z.ZodType<DryRunJobInput>,
  run: (ctx, input) =>
    outcomeOf(ctx, 'The dry run', (r) => r.ok, async () => {
      const s = ctx.services.settings
      const r = await dryRun(
        {
          targetUrl: ctx.services.migratorUrl,
          state: ctx.services.state,
          set: await dorMigrationSet(),
          actor: input.actor,
          lockTimeoutMs: s.migrationLockTimeoutMs,
          statementTimeoutMs: s.migrationStatementTimeoutMs,
          // A cancel stops the statement running on the server.
          signal: ctx.signal,
        },
        input.request,
      )
      return { ...r, migrations: r.migrations.map((m) => ({ ...m, statements: m.statements.map((st) => ({ sql: st.sql, parameters: st.parameters.map(plainParameter) })) })) }
    }),
})

type ScratchInput = { actor: RunActor }
const scratchInput = z.object({ actor }) as z.ZodType<ScratchInput>

export const rehearsalJob = checkKind<ScratchInput>({
  kind: 'migrations.rehearsal',
  queue: 'migration-rehearsal',
  title: 'Rollback test',
  cancellable: false,
  input: scratchInput,
  run: async (ctx, input) => outcomeOf(ctx, 'The rollback test', (r) => r.ok, async () => rehearseRollbacks(await scratchOptions(ctx, input.actor))),
})

export const driftJob = checkKind<ScratchInput>({
  kind: 'migrations.drift',
  queue: 'migration-drift',
  title: 'Drift check',
  cancellable: false,
  input: scratchInput,
  run: async (ctx, input) => outcomeOf(ctx, 'The drift check', (r) => r.comparable, async () => detectDrift(await scratchOptions(ctx, input.actor))),
})

export const replayJob = checkKind<ScratchInput>({
  kind: 'migrations.replay',
  queue: 'migration-replay',
  title: 'Replay from empty',
  cancellable: false,
  input: scratchInput,
  run: async (ctx, input) => outcomeOf(ctx, 'The replay check', (r) => r.ok, async () => replayCheck(await scratchOptions(ctx, input.actor))),
})
