import { ActionForm, FieldError } from '@/components/action-form'
import { SqlBlock } from '@/components/sql-block'
import { WidgetError } from '@/components/widget-error'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
import { type CustomRule, listCustomRules } from '@/lib/integrity/custom-rules'
import { deleteRuleAction, saveRuleAction } from '../rule-actions'
import { loadTarget } from './integrity-data'

function RuleForm({ rule }: { rule?: CustomRule }) {
  return (
    <ActionForm
      action={saveRuleAction}
      submitLabel={rule ? 'Save rule' : 'Add rule'}
      className="stack rule-form"
      resetOnSuccess={!rule}
      testId={rule ? 'edit-rule' : 'add-rule'}
    >
      {rule ? <input type="hidden" name="id" value={rule.id} /> : null}
      <label>
        Name
        <input name="name" required maxLength={200} defaultValue={rule?.name} />
        <FieldError name="name" />
      </label>
      <label>
        What to do when it finds rows (shown as advice)
        <input name="description" maxLength={500} defaultValue={rule?.description ?? ''} />
        <FieldError name="description" />
      </label>
      <label>
        SELECT returning the violating rows
        <textarea
          name="query"
          required
          rows={4}
          className="mono"
          defaultValue={rule?.query}
          placeholder="select id, title from meeting where location is null and start_time > now()"
        />
        <FieldError name="query" />
      </label>
      <label className="inline">
        <input type="checkbox" name="enabled" defaultChecked={rule?.enabled ?? true} /> enabled
      </label>
    </ActionForm>
  )
}

/**
 * Admins' own rules. Each runs as one statement on a read-only role of its own, in a READ ONLY
 * transaction under the check timeout (lib/db/restricted-reader.ts): it reads and does nothing else.
 */
export async function RulesPanel({ user }: { user: AppUser }) {
  let rules: CustomRule[]
  try {
    rules = await listCustomRules(stateDb(), (await loadTarget()).key)
  } catch (e) {
    return <WidgetError title="Your rules" error={e} />
  }
  const canEdit = can(user.role, 'integrity.rules')
  return (
    <section className="card integrity-section" id="your-rules" data-testid="custom-rules">
      <h2>Your rules</h2>
      <p className="muted">
        A rule is a SELECT that returns the rows breaking it; every run counts them. It runs as one statement on a
        read-only database role (RULE_READER_DATABASE_URL, or one the dashboard creates), with the per-check statement
        timeout, and can read data and nothing else. Only admins add or change rules.
      </p>
      {rules.length === 0 ? <p className="muted">No rules yet.</p> : null}
      {rules.map((r) => (
        // A rule the dashboard disabled opens by itself, so that its note is seen.
        <details key={r.id} className="rule" data-rule={r.name} open={!r.enabled && !!r.disabledNote}>
          <summary>
            <strong>{r.name}</strong> {r.enabled ? <span className="badge ok">enabled</span> : <span className="badge muted">disabled</span>}{' '}
            <span className="muted">
              by {r.updatedBy}, {formatTimestamp(r.updatedAt)}
            </span>
          </summary>
          {r.disabledNote && !r.enabled ? (
            <p className="banner warn" data-testid="rule-disabled-note">
              {r.disabledNote}
              {canEdit ? ' Change the query and save it with “enabled” checked to turn it back on.' : null}
            </p>
          ) : null}
          {canEdit ? (
            <>
              <RuleForm rule={r} />
              <ActionForm action={deleteRuleAction} submitLabel="Delete rule" danger confirmText={`Delete the rule "${r.name}"?`} testId="delete-rule">
                <input type="hidden" name="id" value={r.id} />
              </ActionForm>
            </>
          ) : (
            <SqlBlock sql={r.query} label={`Query of the rule ${r.name}`} wrap />
          )}
        </details>
      ))}
      {canEdit ? (
        <>
          <h3>Add a rule</h3>
          <RuleForm />
        </>
      ) : null}
    </section>
  )
}
