import { WidgetError } from '@/components/widget-error'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { listRoleRules, type StoredRoleRule } from '@/lib/integrity/role-rules'
import { deleteRoleRuleAction, saveRoleRuleAction } from '../rule-actions'
import { EditableList } from './editable-list'
import { loadTarget } from './integrity-data'

/** Which roles may own which rows: every run reports rows owned by a user whose role may not. */
export async function RoleRulesPanel({ user }: { user: AppUser }) {
  let rules: StoredRoleRule[]
  try {
    rules = await listRoleRules(stateDb(), (await loadTarget()).key)
  } catch (e) {
    return <WidgetError title="Role rules" error={e} />
  }
  return (
    <section className="card integrity-section" id="role-rules" data-testid="role-rules">
      <h2>Role rules</h2>
      <p className="muted">
        A column pointing at the user table, and the roles its users may have (compared case-insensitively, since
        DoR-Dash holds both <span className="mono">FACULTY</span> and <span className="mono">faculty</span>).
      </p>
      <EditableList
        label="Role rules"
        headers={['Owner column', 'Rows', 'Allowed roles', 'By']}
        rows={rules.map((r) => ({ id: r.id, cells: [`${r.table}.${r.column}`, r.what, <span className="mono">{r.allowed.join(', ')}</span>, r.createdBy] }))}
        empty="No role rules."
        canEdit={can(user.role, 'checks.run')}
        remove={{ action: deleteRoleRuleAction, testId: 'delete-role-rule' }}
        add={{
          action: saveRoleRuleAction,
          label: 'Save rule',
          testId: 'add-role-rule',
          fields: [
            { name: 'table', label: 'Table', size: 14, placeholder: 'meeting' },
            { name: 'column', label: 'Owner column', size: 12, placeholder: 'created_by' },
            { name: 'what', label: 'Rows are', size: 18, placeholder: 'meetings created' },
            { name: 'allowed', label: 'Allowed roles (comma-separated)', size: 28, placeholder: 'FACULTY, SECRETARY, ADMIN' },
          ],
        }}
      />
    </section>
  )
}
