import { ActionForm } from '@/components/action-form'
import { WidgetError } from '@/components/widget-error'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { type EnumColumnSet, listEnumSets } from '@/lib/integrity/enum-sets'
import { deleteEnumSetAction, saveEnumSetAction } from '../actions'

/** Text columns declared to hold a fixed set of values: each run counts the rows outside it. */
export async function EnumSetsPanel({ user }: { user: AppUser }) {
  let sets: EnumColumnSet[]
  try {
    sets = await listEnumSets(stateDb())
  } catch (e) {
    return <WidgetError title="Value sets" error={e} />
  }
  const canEdit = can(user.role, 'checks.run')
  return (
    <section className="card integrity-section" id="value-sets" data-testid="enum-sets">
      <h2>Value sets of text columns</h2>
      <p className="muted">
        A status kept as text instead of an enum (DoR-Dash&apos;s <span className="mono">user.role</span>) is checked
        like one: declare its allowed values and every run counts the rows outside them, and the values that differ
        only by case. Columns whose common values are mostly an enum&apos;s labels are checked without a declaration.
      </p>
      <table className="data">
        <thead>
          <tr>
            <th>Column</th>
            <th>Allowed values</th>
            <th>By</th>
            {canEdit ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {sets.length === 0 ? (
            <tr>
              <td colSpan={canEdit ? 4 : 3} className="muted">
                No declared value sets.
              </td>
            </tr>
          ) : null}
          {sets.map((s) => (
            <tr key={s.id}>
              <td className="mono">
                {s.schema}.{s.table}.{s.column}
              </td>
              <td className="mono">{s.values.join(', ')}</td>
              <td>{s.createdBy}</td>
              {canEdit ? (
                <td>
                  <ActionForm action={deleteEnumSetAction} submitLabel="Remove" danger testId="delete-enum-set">
                    <input type="hidden" name="id" value={s.id} />
                  </ActionForm>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit ? (
        <ActionForm action={saveEnumSetAction} submitLabel="Declare values" className="row" resetOnSuccess testId="add-enum-set">
          <label>
            Schema
            <input name="schema" defaultValue="public" required size={8} />
          </label>
          <label>
            Table
            <input name="table" required size={14} placeholder="user" />
          </label>
          <label>
            Column
            <input name="column" required size={12} placeholder="role" />
          </label>
          <label>
            Allowed values (comma-separated)
            <input name="values" required size={36} placeholder="STUDENT, FACULTY, SECRETARY, ADMIN" />
          </label>
        </ActionForm>
      ) : null}
    </section>
  )
}
