import { z } from 'zod'
import { AppError } from '../errors'
import type { SchemaChange, SchemaObjectKind } from '../schema/diff'
import type { DryRunResult } from './dry-run'
import type { RehearsalResult } from './rehearsal'
import type { DriftResult, ReplayResult } from './replay'

// What the four migration checks return (the job's result, through the action) and keep in their
// run's report (the history). Both arrive as JSON, the stored ones possibly written by an older
// version: lists missing there read as empty, as before; anything else malformed is an error.
// No database imports: the checks' client component parses with these too.

const OBJECT_KINDS = {
  schema: 'schema',
  table: 'table',
  view: 'view',
  materialized_view: 'materialized_view',
  column: 'column',
  constraint: 'constraint',
  foreign_key: 'foreign_key',
  index: 'index',
  trigger: 'trigger',
  enum: 'enum',
  enum_value: 'enum_value',
  sequence: 'sequence',
} as const satisfies { [K in SchemaObjectKind]: K }

/** A schema change as stored in a report (also a baseline's differences: lib/migrations/run-output-report.ts). */
export const schemaChange = z.object({
  object: z.enum(OBJECT_KINDS),
  change: z.enum(['added', 'removed', 'changed']),
  schema: z.string(),
  table: z.string().optional(),
  name: z.string(),
  detail: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
}) satisfies z.ZodType<SchemaChange>

const changes = z.array(schemaChange).default([])

const dryRunMigration = z.object({
  name: z.string(),
  statements: z.array(z.object({ sql: z.string(), parameters: z.array(z.unknown()).default([]) })).default([]),
  error: z.string().optional(),
  skipped: z.string().optional(),
})

const rehearsalStep = z.object({
  name: z.string(),
  ok: z.boolean(),
  downRestores: z.boolean().nullable(),
  upRepeats: z.boolean().nullable(),
  downDiff: changes,
  upAgainDiff: changes,
  error: z.string().optional(),
  skipped: z.string().optional(),
})

const replayOutcome = z.object({
  applied: z.array(z.string()).default([]),
  failed: z.object({ name: z.string(), error: z.string() }).nullable().default(null),
})

const dryRunReport = z.object({ migrations: z.array(dryRunMigration).default([]) })
const rehearsalReport = z.object({ steps: z.array(rehearsalStep).default([]) })
const driftReport = z.object({ replay: replayOutcome.default({ applied: [], failed: null }), changes })
const outcome = { runId: z.number(), message: z.string() }
const dryRunResult = dryRunReport.extend({ ...outcome, ok: z.boolean() }) satisfies z.ZodType<DryRunResult>
const rehearsalResult = rehearsalReport.extend({ ...outcome, ok: z.boolean() }) satisfies z.ZodType<RehearsalResult>
const driftResult = driftReport.extend({ ...outcome, comparable: z.boolean() }) satisfies z.ZodType<DriftResult>
const replayResult = replayOutcome.extend({ ...outcome, ok: z.boolean() }) satisfies z.ZodType<ReplayResult>

/** The stored report of each check kind (`migration_run.report`). */
export interface MigrationCheckReports {
  dry_run: z.output<typeof dryRunReport>
  rehearsal: z.output<typeof rehearsalReport>
  drift: z.output<typeof driftReport>
  replay: z.output<typeof replayOutcome>
}

/** The result each check's job returns, which the action passes on. */
export interface MigrationCheckResults {
  dry_run: z.output<typeof dryRunResult>
  rehearsal: z.output<typeof rehearsalResult>
  drift: z.output<typeof driftResult>
  replay: z.output<typeof replayResult>
}

export type MigrationCheckKind = keyof MigrationCheckReports
export type MigrationCheckResult<K extends MigrationCheckKind> = MigrationCheckResults[K]

const REPORTS: { [K in MigrationCheckKind]: z.ZodType<MigrationCheckReports[K]> } = {
  dry_run: dryRunReport,
  rehearsal: rehearsalReport,
  drift: driftReport,
  replay: replayOutcome,
}
const RESULTS: { [K in MigrationCheckKind]: z.ZodType<MigrationCheckResults[K]> } = {
  dry_run: dryRunResult,
  rehearsal: rehearsalResult,
  drift: driftResult,
  replay: replayResult,
}

const TITLES: Record<MigrationCheckKind, string> = { dry_run: 'dry run', rehearsal: 'rollback test', drift: 'drift check', replay: 'replay' }

/** `value` read with `schema`; throws an AppError saying which `what` is malformed, and where. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  throw new AppError('internal', `The ${what} is malformed: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`, { cause: parsed.error })
}

/** A check's stored report; throws an AppError naming what is wrong when it is malformed. */
export function parseCheckReport<K extends MigrationCheckKind>(kind: K, report: unknown): MigrationCheckReports[K] {
  return parseWith(REPORTS[kind], report, `${TITLES[kind]} report`)
}

/** A check job's result; throws an AppError naming what is wrong when it is malformed. */
export function parseCheckResult<K extends MigrationCheckKind>(kind: K, result: unknown): MigrationCheckResults[K] {
  return parseWith(RESULTS[kind], result, `${TITLES[kind]} result`)
}
