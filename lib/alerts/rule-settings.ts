import { AlertError } from './alert-error'
import { isRuleName, RULE_NAMES, RULES, type RuleDefinition, type RuleName, type Severity } from './rules'
import type { StateDb } from '../state/state-db'

/** A rule as it runs for one target: its definition with the admin's changes applied. */
export interface EffectiveRule extends Omit<RuleDefinition, 'threshold' | 'forSeconds' | 'severity'> {
  name: RuleName
  enabled: boolean
  threshold: number
  forSeconds: number
  severity: Severity
  /** Why a rule is off although nobody disabled it (a setting it needs is missing). */
  unavailable: string | null
  customised: boolean
}

export interface RuleChange {
  enabled?: boolean
  threshold?: number
  forSeconds?: number
  severity?: Severity
}

/** The rules of a target; `storageLimitBytes` (STORAGE_LIMIT_BYTES) is the storage rule's threshold. */
export async function loadRules(state: StateDb, targetKey: string, opts: { storageLimitBytes?: number | null } = {}): Promise<EffectiveRule[]> {
  const rows = await state.selectFrom('alert_rule_setting').selectAll().where('target_key', '=', targetKey).execute()
  const byRule = new Map(rows.map((r) => [r.rule as string, r]))
  return RULE_NAMES.map((name) => {
    const def: RuleDefinition = RULES[name]
    const row = byRule.get(name)
    const limit = opts.storageLimitBytes ?? null
    const unavailable = 'needsStorageLimit' in def && def.needsStorageLimit && limit === null ? 'needs STORAGE_LIMIT_BYTES' : null
    const threshold = row?.threshold ?? (name === 'storageLimit' && limit !== null ? limit : def.threshold)
    return {
      ...def,
      name,
      enabled: (row?.enabled ?? true) && unavailable === null,
      threshold,
      forSeconds: row?.for_seconds ?? def.forSeconds,
      severity: (row?.severity as Severity | undefined) ?? def.severity,
      unavailable,
      customised: !!row,
    }
  })
}

/** An admin's change to one rule of a target (the page's action audits it). */
export async function saveRuleSetting(state: StateDb, targetKey: string, rule: string, change: RuleChange, by: string): Promise<void> {
  if (!isRuleName(rule)) throw new AlertError('not_found', `There is no alert rule "${rule}".`)
  if (change.threshold !== undefined && !Number.isFinite(change.threshold)) throw new AlertError('invalid_input', 'The threshold must be a number.', 'threshold')
  if (change.forSeconds !== undefined && !(Number.isInteger(change.forSeconds) && change.forSeconds >= 0)) {
    throw new AlertError('invalid_input', 'The duration must be a whole number of seconds, 0 or more.', 'threshold')
  }
  const values = {
    enabled: change.enabled,
    threshold: change.threshold,
    for_seconds: change.forSeconds,
    severity: change.severity,
    updated_by: by,
    updated_at: new Date(),
  }
  await state
    .insertInto('alert_rule_setting')
    .values({ target_key: targetKey, rule, ...values, enabled: change.enabled ?? true })
    .onConflict((oc) => oc.columns(['target_key', 'rule']).doUpdateSet(Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined))))
    .execute()
}
