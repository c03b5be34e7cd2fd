import { ActionForm, FieldError } from '@/components/action-form'
import { DataTable } from '@/components/data-table'
import { ruleNotices, silencedRules } from '@/lib/alerts/alert-history'
import { show } from '@/lib/alerts/judge'
import { type EffectiveRule, loadRules } from '@/lib/alerts/rule-settings'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { formatDuration, formatTimestamp } from '@/lib/format/units'
import { saveRuleAction } from '../actions'
import { alertConfig, alertTarget } from '../alert-target'

const UNIT_HINT: Record<EffectiveRule['unit'], string> = {
  ratio: 'ratio, 0.8 = 80 %',
  seconds: 'seconds',
  count: 'count',
  bytes: 'bytes',
  days: 'days',
  hours: 'hours',
  transactions: 'transactions',
  flag: '1 = yes',
}

function RuleForm({ r }: { r: EffectiveRule }) {
  return (
    <ActionForm action={saveRuleAction} submitLabel="Save" className="row" testId={`rule-form-${r.name}`}>
      <input type="hidden" name="rule" value={r.name} />
      <label>
        Threshold ({UNIT_HINT[r.unit]})
        <input name="threshold" required inputMode="decimal" defaultValue={String(r.threshold)} size={12} />
        <FieldError name="threshold" />
      </label>
      <label>
        For (s)
        <input name="forSeconds" required inputMode="numeric" defaultValue={String(r.forSeconds)} size={6} />
        <FieldError name="forSeconds" />
      </label>
      <label>
        Severity
        <select name="severity" defaultValue={r.severity}>
          <option value="warning">warning</option>
          <option value="critical">critical</option>
        </select>
      </label>
      <label className="inline">
        <input type="checkbox" name="enabled" defaultChecked={r.enabled} /> On
      </label>
    </ActionForm>
  )
}

/** Every rule with its threshold and where the number comes from; admins change them per database (audited). */
export async function RulesTable({ user }: { user: AppUser }) {
  const { key } = await alertTarget()
  const [rules, silenced, notices] = await Promise.all([
    loadRules(stateDb(), key, { storageLimitBytes: alertConfig().STORAGE_LIMIT_BYTES ?? null }),
    silencedRules(stateDb(), key),
    ruleNotices(stateDb(), key),
  ])
  const edit = can(user.role, 'alerts.manage')
  return (
    <section aria-labelledby="rules-heading">
      <h2 id="rules-heading">Rules</h2>
      <DataTable
        label="Alert rules"
        testId="alert-rules"
        rows={rules}
        rowKey={(r) => r.name}
        rowProps={(r) => ({ 'data-rule': r.name })}
        empty="There are no alert rules."
        columns={[
          {
            key: 'rule',
            label: 'Rule',
            cell: (r) => (
              <>
                <strong>{r.title}</strong>
                <div className="muted">Source: {r.source}</div>
                {r.enabled && notices.has(r.name) ? (
                  <div className="banner warn" data-testid="rule-notice">
                    {notices.get(r.name)}
                  </div>
                ) : null}
              </>
            ),
          },
          {
            key: 'threshold',
            label: 'Threshold',
            nowrap: true,
            cell: (r) => (
              <span data-testid="rule-threshold">
                {r.direction === 'above' ? 'at or above' : 'under'} {show(r, r.threshold)}
                {r.forSeconds > 0 ? ` for ${formatDuration(r.forSeconds)}` : ''}
              </span>
            ),
          },
          { key: 'severity', label: 'Severity', cell: (r) => <span className={`badge ${r.severity === 'critical' ? 'bad' : 'warn'}`}>{r.severity}</span> },
          {
            key: 'on',
            label: 'State',
            cell: (r) => (
              <>
                {r.enabled ? <span className="badge ok">on</span> : <span className="badge muted">{r.unavailable ?? 'off'}</span>}
                {r.customised ? <div className="muted">changed for this database</div> : null}
                {silenced.has(r.name) ? <div className="muted">silenced until {formatTimestamp(silenced.get(r.name)!)}</div> : null}
              </>
            ),
          },
          edit && { key: 'edit', label: 'Change', cell: (r) => (r.unavailable ? <span className="muted">Set STORAGE_LIMIT_BYTES to use this rule.</span> : <RuleForm r={r} />) },
        ]}
      />
    </section>
  )
}
