import { targetIdentity } from '../db/target-identity'
import type { Kysely } from 'kysely'
import type { RestrictedReader } from '../db/reader-login'
import { queryEnums } from '../schema/catalog-types-queries'
import { addForeignKeySql, validateConstraintSql } from './advice-sql'
import { notValidCheckFindings } from './check-constraints'
import { ReaderError } from '../db/restricted-reader'
import { customRuleFindings } from './custom-rules'
import { dorRuleChecks } from './dor-rules'
import { enumChecks } from './enum-checks'
import { listEnumSets } from './enum-sets'
import { type Finding, finding } from './findings'
import { liveColumns } from './live-columns'
import { countOrphans } from './orphans'
import { relationsToCheck } from './relations'
import { roleChecks } from './role-checks'
import { listRoleRules } from './role-rules'
import { schemaChecks } from './schema-checks'
import { describeRelation, type IntegrityRelation, relationKey } from './types'
import type { StateDb } from '../state/state-db'

export interface CheckStep {
  key: string
  title: string
  run: () => Promise<Finding[]>
}

function relationStep(db: Kysely<any>, rel: IntegrityRelation): CheckStep {
  const key = `orphans:${relationKey(rel)}`
  const base = {
    check: 'orphans' as const,
    key,
    title: `Orphans in ${describeRelation(rel)}`,
    schema: rel.schema,
    table: rel.table,
    columns: rel.columns,
    refSchema: rel.refSchema,
    refTable: rel.refTable,
    refColumns: rel.refColumns,
    source: rel.source,
  }
  return {
    key,
    title: base.title,
    async run() {
      const started = Date.now()
      try {
        const count = await countOrphans(db, rel)
        const orphans = finding({
          ...base,
          count,
          detail: { relation: rel.name, validated: rel.validated },
          advice: count
            ? `${count} row${count === 1 ? '' : 's'} of ${rel.schema}.${rel.table} point at no ${rel.refTable}. Fix them (delete, or set the reference to NULL), then ${rel.source === 'foreign_key' ? 'validate the constraint' : 'consider a FOREIGN KEY'}.`
            : undefined,
          sql: count ? (rel.source === 'foreign_key' ? validateConstraintSql(rel.schema, rel.table, rel.name) : addForeignKeySql(rel)) : undefined,
          durationMs: Date.now() - started,
        })
        if (rel.source !== 'foreign_key' || rel.validated !== false) return [orphans]
        // A NOT VALID foreign key's violations are exactly its orphans: one count serves both.
        return [
          orphans,
          finding({
            ...base,
            check: 'not_valid_foreign_key',
            key: `not_valid_foreign_key:${relationKey(rel)}`,
            title: `FOREIGN KEY ${rel.name} is NOT VALID`,
            count,
            detail: { constraint: rel.name, canValidate: count === 0 },
            advice: count === 0 ? 'No row violates it: validate it.' : `Fix the ${count} orphan rows, then validate it.`,
            sql: validateConstraintSql(rel.schema, rel.table, rel.name),
            durationMs: Date.now() - started,
          }),
        ]
      } catch (e) {
        return [finding({ ...base, count: null, error: (e as Error).message, durationMs: Date.now() - started })]
      }
    },
  }
}

/** A non-relation check whose failure is reported, not thrown. */
function guarded(key: string, title: string, run: () => Promise<Finding[]>): CheckStep {
  return {
    key,
    title,
    async run() {
      const started = Date.now()
      try {
        return await run()
      } catch (e) {
        return [finding({ check: key as Finding['check'], key, title, count: null, error: (e as Error).message, durationMs: Date.now() - started })]
      }
    },
  }
}

const noReader: RestrictedReader = {
  session: () => Promise.reject(new ReaderError('unavailable', 'This integrity run was started without a reader for custom rules.')),
}

/**
 * Every check of an integrity run, in report order: one step per relation (foreign keys, soft
 * relations, suggestions), then the catalog, constraint, enum, role and DoR rule checks.
 */
export async function planChecks(
  target: Kysely<any>,
  state: StateDb,
  opts: {
    ruleTimeoutMs?: number
    /** Where admins' own rules run (lib/db/reader-login.ts); without it, enabled rules report that they cannot run. */
    reader?: RestrictedReader
  } = {},
): Promise<CheckStep[]> {
  const relations = await relationsToCheck(target, state)
  const tables = liveColumns(target)
  return [
    ...relations.map((r) => relationStep(target, r)),
    guarded('schema', 'Indexes, primary keys, foreign key indexes, sequences', () => schemaChecks(target)),
    guarded('not_valid_check', 'NOT VALID CHECK constraints', () => notValidCheckFindings(target)),
    guarded('enums', 'Enum types and columns used as enums', async () => enumChecks(target, await listEnumSets(state, (await targetIdentity(target)).key))),
    guarded('roles', 'Users per role and role rules', async () => {
      const userrole = (await queryEnums(target, false)).find((e) => e.name === 'userrole')
      return roleChecks(target, await tables, userrole?.values ?? [], await listRoleRules(state, (await targetIdentity(target)).key))
    }),
    guarded('dor_rules', 'DoR rules: scheduling, registrations, uploads', async () => dorRuleChecks(target, await tables)),
    guarded('custom_rules', "Admins' own rules", async () => customRuleFindings(opts.reader ?? noReader, state, (await targetIdentity(target)).key, opts.ruleTimeoutMs ?? 300_000)),
  ]
}

export interface RunHooks {
  /** Called before each step with its index; return true to stop (cancel). */
  beforeStep?: (index: number, step: CheckStep, total: number) => Promise<boolean | void> | boolean | void
  afterStep?: (index: number, step: CheckStep, findings: Finding[]) => Promise<void> | void
}

/** Runs the steps one after another; a cancelled run returns what it found so far. */
export async function runChecks(steps: CheckStep[], hooks: RunHooks = {}): Promise<{ findings: Finding[]; cancelled: boolean }> {
  const findings: Finding[] = []
  for (const [i, step] of steps.entries()) {
    if (await hooks.beforeStep?.(i, step, steps.length)) return { findings, cancelled: true }
    const found = await step.run()
    findings.push(...found)
    await hooks.afterStep?.(i, step, found)
  }
  return { findings, cancelled: false }
}
