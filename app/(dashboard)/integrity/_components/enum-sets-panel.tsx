import { WidgetError } from '@/components/widget-error'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { type EnumColumnSet, listEnumSets } from '@/lib/integrity/enum-sets'
import { deleteEnumSetAction, saveEnumSetAction } from '../rule-actions'
import { EditableList } from './editable-list'
import { loadTarget } from './integrity-data'

/** Text columns declared to hold a fixed set of values: each run counts the rows outside it. */
export async function EnumSetsPanel({ user }: { user: AppUser }) {
  let sets: EnumColumnSet[]
  try {
    sets = await listEnumSets(stateDb(), (await loadTarget()).key)
  } catch (e) {
    return <WidgetError title="Value sets" error={e} />
  }
  return (
    <section className="card integrity-section" id="value-sets" data-testid="enum-sets">
      <h2>Value sets of text columns</h2>
      <p className="muted">
        A status kept as text instead of an enum (DoR-Dash&apos;s <span className="mono">user.role</span>) is checked
        like one: declare its allowed values and every run counts the rows outside them, and the values that differ
        only by case. Columns whose common values are mostly an enum&apos;s labels are checked without a declaration.
      </p>
      <EditableList
        label="Value sets"
        headers={['Column', 'Allowed values', 'By']}
        rows={sets.map((s) => ({ id: s.id, cells: [`${s.schema}.${s.table}.${s.column}`, <span className="mono">{s.values.join(', ')}</span>, s.createdBy] }))}
        empty="No declared value sets."
        canEdit={can(user.role, 'checks.run')}
        remove={{ action: deleteEnumSetAction, testId: 'delete-enum-set' }}
        add={{
          action: saveEnumSetAction,
          label: 'Declare values',
          testId: 'add-enum-set',
          fields: [
            { name: 'schema', label: 'Schema', size: 8, defaultValue: 'public' },
            { name: 'table', label: 'Table', size: 14, placeholder: 'user' },
            { name: 'column', label: 'Column', size: 12, placeholder: 'role' },
            { name: 'values', label: 'Allowed values (comma-separated)', size: 36, placeholder: 'STUDENT, FACULTY, SECRETARY, ADMIN' },
          ],
        }}
      />
    </section>
  )
}
