import { AppError } from '../../lib/errors'
import { maintenanceJob, queueMaintenance } from '../../lib/performance/maintenance-job'
import { getMaintenanceJob } from '../../lib/performance/maintenance-store'
import type { MaintenanceTask } from '../../lib/performance/maintenance'
import { describeTask } from '../../lib/performance/maintenance-input'
import { CliError, JSON_FLAG, type ParsedArgs, stringFlag } from '../args'
import { beginCliAudit } from '../cli-audit'
import type { Command } from '../command'
import type { CliContext } from '../context'
import { markDeadJobsHere } from '../job-services'
import { followOwnJob, stoppedBySignal } from './follow-job'

const SCHEMA_FLAG = { schema: { type: 'string', value: 'SCHEMA' } } as const
const TABLE_FLAG = { table: { type: 'string', value: 'TABLE' } } as const

function taskOf(args: ParsedArgs): MaintenanceTask {
  const sub = args.positional[1]
  const schema = stringFlag(args, 'schema') ?? 'public'
  const table = stringFlag(args, 'table')
  if (sub === 'vacuum') return { kind: 'vacuum', schema, table: stringFlag(args, 'table', true), analyze: args.flags.analyze === true }
  if (sub === 'analyze') return { kind: 'analyze', schema, table: stringFlag(args, 'table', true) }
  const index = stringFlag(args, 'index')
  if ((table === undefined) === (index === undefined)) throw new CliError('reindex takes either --table TABLE or --index INDEX')
  return table !== undefined ? { kind: 'reindex', target: 'table', schema, name: table } : { kind: 'reindex', target: 'index', schema, name: index! }
}

/**
 * `dbadmin maintenance vacuum|analyze|reindex …`: the same queued job the Tables page starts (one
 * at a time per table, on the maintenance login), worked and waited for here. Ctrl-C or SIGTERM cancels it (the statement is cancelled on
 * the server) and exits 130 / 143.
 * Recorded in the audit log before it is queued: without that record nothing runs.
 */
async function maintenance(ctx: CliContext): Promise<void> {
  const task = taskOf(ctx.args)
  // A VACUUM or REINDEX of an earlier `maintenance` killed outright may still run on the server.
  await markDeadJobsHere(ctx)
  const audit = await beginCliAudit(ctx, { action: 'maintenance.start', target: describeTask(task), input: task })
  const jobs = await ctx.jobs({ work: true, workKinds: [maintenanceJob.kind], supervise: false })
  let queued
  try {
    queued = await queueMaintenance(jobs, task, { startedBy: 'cli', trigger: 'cli' })
  } catch (e) {
    if (e instanceof AppError) await audit.failed(new CliError(e.message, 1))
    return audit.failed(e)
  }
  try {
    if (!ctx.json) process.stderr.write(`maintenance job #${queued.refId} (job #${queued.id}): ${describeTask(task)}\n`)
    const followed = await followOwnJob(ctx, queued)
    const done = followed.job
    const job = (await getMaintenanceJob(ctx.state(), queued.refId!))!
    const ok = done.state === 'succeeded'
    await audit.finish({ result: ok ? 'ok' : 'failed', code: ok ? 'ok' : done.state, message: job.error ?? done.message ?? `${job.statement ?? describeTask(task)} ${job.status}` })
    stoppedBySignal(followed, `maintenance job #${job.id} (${job.statement ?? describeTask(task)})`)
    if (ctx.json) ctx.print(job)
    else ctx.out(`#${job.id} ${job.status}: ${job.statement ?? describeTask(task)}${job.durationMs !== null ? ` in ${job.durationMs} ms` : ''}${job.error ? ` (${job.error})` : ''}`)
    if (!ok) throw new CliError(`maintenance job #${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}`, 1)
  } finally {
    await jobs.stop(10_000, { drain: true })
  }
}

export const maintenanceCommand: Command = {
  help: 'maintenance vacuum|analyze|reindex --table T [--schema S] | reindex --index I  run maintenance as a queued job, waited for',
  subcommands: {
    vacuum: { flags: { table: { ...TABLE_FLAG.table, required: true }, ...SCHEMA_FLAG, analyze: { type: 'boolean' }, ...JSON_FLAG }, summary: 'VACUUM (with --analyze: VACUUM (ANALYZE)) one table' },
    analyze: { flags: { table: { ...TABLE_FLAG.table, required: true }, ...SCHEMA_FLAG, ...JSON_FLAG }, summary: 'ANALYZE one table' },
    reindex: {
      flags: { ...TABLE_FLAG, index: { type: 'string', value: 'INDEX' }, ...SCHEMA_FLAG, ...JSON_FLAG },
      check: (args) => void taskOf(args),
      summary: 'REINDEX TABLE|INDEX CONCURRENTLY (--table or --index; schema public unless --schema)',
    },
  },
  run: maintenance,
}
