import { targetIdentity } from '../../lib/db/target-identity'
import { readSchemaModel } from '../../lib/schema/catalog'
import { schemaToJson } from '../../lib/schema/schema-json'
import { listSnapshots } from '../../lib/schema/snapshot-store'
import { compareSnapshots, parseSnapshotRef, takeSnapshot } from '../../lib/schema/take-snapshot'
import { CliError, JSON_FLAG, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

/**
 * `dbadmin schema [--json] [--system]`: the live catalog of the target.
 * `dbadmin schema snapshot [--reason R]`, `schema snapshots`, `schema diff --from ID|live [--to ID|live]`.
 */
async function schema(ctx: CliContext): Promise<void> {
  const sub = ctx.args.positional[1]
  if (sub === 'snapshot') return snapshot(ctx)
  if (sub === 'snapshots') return snapshots(ctx)
  if (sub === 'diff') return diff(ctx)
  if (sub !== undefined) throw new CliError(`unknown schema command "${sub}" (snapshot, snapshots, diff)`)

  const model = await readSchemaModel(ctx.target(), { includeSystem: ctx.args.flags.system === true })
  if (ctx.json) return ctx.print(schemaToJson(model))
  for (const s of model.schemas) {
    const rels = model.relations.filter((r) => r.schema === s.name)
    ctx.out(`${s.name} (${rels.length} relation${rels.length === 1 ? '' : 's'})`)
    for (const r of rels) {
      const rows = r.rowEstimate === null ? '?' : String(Math.round(r.rowEstimate))
      ctx.out(`  ${r.name}  ${r.kind}  ~${rows} rows  ${r.columns.length} columns`)
    }
  }
  if (model.enums.length) {
    ctx.out('enums')
    for (const e of model.enums) ctx.out(`  ${e.schema}.${e.name}: ${e.values.join(', ')}`)
  }
  for (const l of model.limitations) ctx.out(`note: ${l}`)
}

async function snapshot(ctx: CliContext) {
  const reason = stringFlag(ctx.args, 'reason') ?? 'manual (cli)'
  const meta = await takeSnapshot(ctx.target(), ctx.state(), { reason: reason.slice(0, 200), takenBy: 'cli' })
  if (ctx.json) return ctx.print({ snapshot: meta })
  ctx.out(`Snapshot #${meta.id} of ${meta.database}: ${meta.summary.tables} tables, fingerprint ${meta.fingerprint.slice(0, 12)}`)
}

async function snapshots(ctx: CliContext) {
  const list = await listSnapshots(ctx.state(), { targetKey: (await targetIdentity(ctx.target())).key, limit: 100 })
  if (ctx.json) return ctx.print({ snapshots: list })
  for (const s of list) ctx.out(`#${s.id}  ${s.takenAt.toISOString()}  ${s.database}  ${s.reason}`)
}

async function diff(ctx: CliContext) {
  const from = parseSnapshotRef(stringFlag(ctx.args, 'from', true))
  const to = parseSnapshotRef(stringFlag(ctx.args, 'to') ?? 'live')
  if (from === null || to === null) throw new CliError('--from and --to take a snapshot id or "live"')
  const result = await compareSnapshots(ctx.target(), ctx.state(), from, to)
  if (ctx.json) return ctx.print(result)
  ctx.out(`${result.from} → ${result.to}: ${result.diff.changes.length} change(s)`)
  for (const c of result.diff.changes) {
    ctx.out(`  ${c.change.padEnd(7)} ${c.object.padEnd(11)} ${c.table ? `${c.schema}.${c.table}` : c.schema}  ${c.name}  ${c.detail}`)
  }
}

export const schemaCommand: Command = {
  help: 'schema [--json] [--system]  the live schema; schema snapshot|snapshots|diff --from ID|live [--to ID|live]',
  subcommands: {
    '': { flags: { ...JSON_FLAG, system: { type: 'boolean' } }, summary: 'the live catalog of the target (--system: with system schemas)' },
    snapshot: { flags: { reason: { type: 'string', value: 'TEXT' }, ...JSON_FLAG }, summary: 'store a schema snapshot' },
    snapshots: { flags: JSON_FLAG, summary: 'list the stored snapshots' },
    diff: {
      flags: { from: { type: 'string', value: 'ID|live', required: true }, to: { type: 'string', value: 'ID|live' }, ...JSON_FLAG },
      summary: 'what changed between two snapshots, or a snapshot and the live schema',
    },
  },
  run: schema,
}
