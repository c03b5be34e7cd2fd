import Link from 'next/link'
import { ActionForm, FieldError } from '@/components/action-form'
import { DataTable } from '@/components/data-table'
import { type ActiveAlert, activeAlerts } from '@/lib/alerts/alert-history'
import { show } from '@/lib/alerts/judge'
import { RULE_PAGES } from '@/lib/alerts/rule-pages'
import { RULES } from '@/lib/alerts/rules'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
import { silenceAlertAction } from '../actions'
import { alertTarget } from '../alert-target'
import { AcknowledgeButton } from './alert-buttons'

export function valueVsThreshold(rule: keyof typeof RULES, value: number | null, threshold: number | null): string {
  const r = RULES[rule]
  const v = value === null ? 'unknown' : show(r, value)
  return threshold === null ? v : `${v} (${r.direction === 'above' ? 'alert at' : 'alert under'} ${show(r, threshold)})`
}

function SilenceForm({ a }: { a: ActiveAlert }) {
  return (
    <ActionForm action={silenceAlertAction} submitLabel={a.silencedUntil ? 'Change silence' : 'Silence'} testId={`silence-${a.rule}`}>
      <input type="hidden" name="rule" value={a.rule} />
      <label>
        for
        <select name="minutes" defaultValue={a.silencedUntil ? '0' : '60'} aria-label={`Silence ${RULES[a.rule].title} for`}>
          <option value="60">1 hour</option>
          <option value="240">4 hours</option>
          <option value="1440">1 day</option>
          <option value="10080">1 week</option>
          {a.silencedUntil ? <option value="0">no longer (notify again)</option> : null}
        </select>
        <FieldError name="minutes" />
      </label>
    </ActionForm>
  )
}

/** What is firing or pending now, with what it means, what to do and where to look. */
export async function ActiveAlerts({ user }: { user: AppUser }) {
  const { key } = await alertTarget()
  const [alerts, evaluated] = await Promise.all([
    activeAlerts(stateDb(), key),
    stateDb().selectFrom('alert_state').select((eb) => eb.fn.max('evaluated_at').as('at')).where('target_key', '=', key).executeTakeFirst(),
  ])
  const respond = can(user.role, 'alerts.respond')
  const lastAt = evaluated?.at ? new Date(evaluated.at as Date) : null
  return (
    <section aria-labelledby="active-heading">
      <h2 id="active-heading">Firing and pending</h2>
      <p className="muted" data-testid="last-evaluated">
        {lastAt && lastAt.getTime() > 0
          ? `Rules last judged ${formatTimestamp(lastAt)} (by the health sampler job, on each sample).`
          : 'The rules have not been judged yet: the health sampler job judges them on each sample.'}
      </p>
      <DataTable
        label="Firing and pending alerts"
        testId="active-alerts"
        rows={alerts}
        rowKey={(a) => a.rule}
        rowProps={(a) => ({ 'data-rule': a.rule, 'data-state': a.state })}
        empty="Nothing is firing or pending."
        columns={[
          {
            key: 'alert',
            label: 'Alert',
            cell: (a) => (
              <>
                <span className={`badge ${RULES[a.rule].severity === 'critical' ? 'bad' : 'warn'}`}>{RULES[a.rule].severity}</span> <strong>{RULES[a.rule].title}</strong>
                <div className="muted">{a.message}</div>
              </>
            ),
          },
          {
            key: 'state',
            label: 'State',
            nowrap: true,
            cell: (a) => (
              <>
                <span className={`badge ${a.state === 'firing' ? 'bad' : 'warn'}`}>{a.state}</span>
                {a.acknowledgedBy ? <div className="muted">acknowledged by {a.acknowledgedBy}</div> : null}
                {a.silencedUntil ? <div className="muted">silenced until {formatTimestamp(a.silencedUntil)}</div> : null}
              </>
            ),
          },
          { key: 'since', label: 'Since', value: (a) => a.since, format: 'timestamp' },
          { key: 'value', label: 'Value (threshold)', nowrap: true, value: (a) => valueVsThreshold(a.rule, a.value, a.threshold) },
          {
            key: 'todo',
            label: 'What to do',
            cell: (a) => (
              <>
                {RULES[a.rule].advice}
                <div>
                  <Link href={RULE_PAGES[a.rule].href}>Open {RULE_PAGES[a.rule].label}</Link>
                </div>
              </>
            ),
          },
          respond && {
            key: 'respond',
            label: 'Respond',
            cell: (a) => (
              <div className="row">
                {a.state === 'firing' && !a.acknowledgedBy ? <AcknowledgeButton rule={a.rule} title={RULES[a.rule].title} /> : null}
                <SilenceForm a={a} />
              </div>
            ),
          },
        ]}
      />
    </section>
  )
}
