import { writeAudit } from '../../lib/audit/audit-log'
import { createDb } from '../../lib/db/connect'
import { getMaintenanceJob, MaintenanceBusyError, type MaintenanceJobStatus, requestMaintenanceCancel, startMaintenanceJob } from '../../lib/jobs/maintenance-job'
import type { MaintenanceTask } from '../../lib/performance/maintenance'
import { describeTask } from '../../lib/performance/maintenance-input'
import { PerformanceError } from '../../lib/performance/performance-error'
import { CliError, JSON_FLAG, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

const SCHEMA_FLAG = { schema: { type: 'string', value: 'SCHEMA' } } as const
const TABLE_FLAG = { table: { type: 'string', value: 'TABLE' } } as const

function taskOf(ctx: CliContext): MaintenanceTask {
  const sub = ctx.args.positional[1]
  const schema = stringFlag(ctx.args, 'schema') ?? 'public'
  const table = stringFlag(ctx.args, 'table')
  if (sub === 'vacuum') return { kind: 'vacuum', schema, table: stringFlag(ctx.args, 'table', true), analyze: ctx.args.flags.analyze === true }
  if (sub === 'analyze') return { kind: 'analyze', schema, table: stringFlag(ctx.args, 'table', true) }
  const index = stringFlag(ctx.args, 'index')
  if ((table === undefined) === (index === undefined)) throw new CliError('reindex takes either --table TABLE or --index INDEX')
  return table !== undefined ? { kind: 'reindex', target: 'table', schema, name: table } : { kind: 'reindex', target: 'index', schema, name: index! }
}

/**
 * `dbadmin maintenance vacuum|analyze|reindex …`: the same background job the Tables page starts
 * (recorded in the state database, one at a time per table), waited for here. Ctrl-C cancels it.
 */
async function maintenance(ctx: CliContext): Promise<void> {
  const task = taskOf(ctx)
  // Without a statement timeout, and with a second connection to cancel on.
  const target = createDb(ctx.targetUrl, { max: 2, applicationName: 'dbadmin maintenance' })
  let onSigint: (() => void) | undefined
  try {
    let settle!: (status: MaintenanceJobStatus) => void
    const done = new Promise<MaintenanceJobStatus>((resolve) => (settle = resolve))
    let id: number
    try {
      id = await startMaintenanceJob(target, ctx.state(), task, 'cli', { onDone: (_id, status) => settle(status) })
    } catch (e) {
      if (e instanceof PerformanceError || e instanceof MaintenanceBusyError) throw new CliError(e.message, 1)
      throw e
    }
    onSigint = () => void requestMaintenanceCancel(target, ctx.state(), id).catch(() => {})
    process.on('SIGINT', onSigint)
    if (!ctx.json) process.stderr.write(`maintenance job #${id}: ${describeTask(task)}\n`)
    const status = await done
    const job = (await getMaintenanceJob(ctx.state(), id))!
    await writeAudit(ctx.state(), {
      actorEmail: 'cli',
      action: 'maintenance.start',
      target: describeTask(task),
      input: task,
      result: status === 'succeeded' ? 'ok' : 'failed',
      code: status === 'succeeded' ? 'ok' : status,
      message: job.error ?? `${job.statement ?? describeTask(task)} ${status}`,
      durationMs: job.durationMs ?? undefined,
    })
    if (ctx.json) ctx.print(job)
    else ctx.out(`#${job.id} ${job.status}: ${job.statement ?? describeTask(task)}${job.durationMs !== null ? ` in ${job.durationMs} ms` : ''}${job.error ? ` (${job.error})` : ''}`)
    if (status !== 'succeeded') throw new CliError(`maintenance job #${id} ${status}${job.error ? `: ${job.error}` : ''}`, 1)
  } finally {
    if (onSigint) process.off('SIGINT', onSigint)
    await target.destroy()
  }
}

export const maintenanceCommand: Command = {
  help: 'maintenance vacuum|analyze|reindex --table T [--schema S] | reindex --index I  run maintenance as a recorded job',
  subcommands: {
    vacuum: { flags: { ...TABLE_FLAG, ...SCHEMA_FLAG, analyze: { type: 'boolean' }, ...JSON_FLAG }, summary: 'VACUUM (with --analyze: VACUUM (ANALYZE)) one table' },
    analyze: { flags: { ...TABLE_FLAG, ...SCHEMA_FLAG, ...JSON_FLAG }, summary: 'ANALYZE one table' },
    reindex: {
      flags: { ...TABLE_FLAG, index: { type: 'string', value: 'INDEX' }, ...SCHEMA_FLAG, ...JSON_FLAG },
      summary: 'REINDEX TABLE|INDEX CONCURRENTLY (--table or --index; schema public unless --schema)',
    },
  },
  run: maintenance,
}
