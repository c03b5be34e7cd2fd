import { ActionForm } from '@/components/action-form'
import { WidgetError } from '@/components/widget-error'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { listRoleRules, type StoredRoleRule } from '@/lib/integrity/role-rules'
import { deleteRoleRuleAction, saveRoleRuleAction } from '../actions'

/** Which roles may own which rows: every run reports rows owned by a user whose role may not. */
export async function RoleRulesPanel({ user }: { user: AppUser }) {
  let rules: StoredRoleRule[]
  try {
    rules = await listRoleRules(stateDb())
  } catch (e) {
    return <WidgetError title="Role rules" error={e} />
  }
  const canEdit = can(user.role, 'checks.run')
  return (
    <section className="card integrity-section" id="role-rules" data-testid="role-rules">
      <h2>Role rules</h2>
      <p className="muted">
        A column pointing at the user table, and the roles its users may have (compared case-insensitively, since
        DoR-Dash holds both <span className="mono">FACULTY</span> and <span className="mono">faculty</span>).
      </p>
      <table className="data">
        <thead>
          <tr>
            <th>Owner column</th>
            <th>Rows</th>
            <th>Allowed roles</th>
            <th>By</th>
            {canEdit ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {rules.length === 0 ? (
            <tr>
              <td colSpan={canEdit ? 5 : 4} className="muted">
                No role rules.
              </td>
            </tr>
          ) : null}
          {rules.map((r) => (
            <tr key={r.id}>
              <td className="mono">
                {r.table}.{r.column}
              </td>
              <td>{r.what}</td>
              <td className="mono">{r.allowed.join(', ')}</td>
              <td>{r.createdBy}</td>
              {canEdit ? (
                <td>
                  <ActionForm action={deleteRoleRuleAction} submitLabel="Remove" danger testId="delete-role-rule">
                    <input type="hidden" name="id" value={r.id} />
                  </ActionForm>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit ? (
        <ActionForm action={saveRoleRuleAction} submitLabel="Save rule" className="row" resetOnSuccess testId="add-role-rule">
          <label>
            Table
            <input name="table" required size={14} placeholder="meeting" />
          </label>
          <label>
            Owner column
            <input name="column" required size={12} placeholder="created_by" />
          </label>
          <label>
            Rows are
            <input name="what" required size={18} placeholder="meetings created" />
          </label>
          <label>
            Allowed roles (comma-separated)
            <input name="allowed" required size={28} placeholder="FACULTY, SECRETARY, ADMIN" />
          </label>
        </ActionForm>
      ) : null}
    </section>
  )
}
