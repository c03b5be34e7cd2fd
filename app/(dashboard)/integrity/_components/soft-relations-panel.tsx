import Link from 'next/link'
import { ActionForm, FieldError } from '@/components/action-form'
import { DataTable } from '@/components/data-table'
import { WidgetError } from '@/components/widget-error'
import type { AppUser } from '@/lib/auth/users'
import { can } from '@/lib/auth/permissions'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { formatCount } from '@/lib/format/units'
import { foreignKeyRelations } from '@/lib/integrity/foreign-key-relations'
import { suggestRelations } from '@/lib/integrity/relation-suggestions'
import { listSoftRelations, type SoftRelation } from '@/lib/integrity/soft-relations'
import { describeRelation, type IntegrityRelation } from '@/lib/integrity/types'
import { loadTarget } from './integrity-data'
import { decideAllSuggestionsAction, deleteSoftRelationAction, saveSoftRelationAction } from '../relation-actions'

/** Rows per list unless the page asks for all. */
const LIST_LIMIT = 100

function RelationFields({ rel }: { rel: Pick<IntegrityRelation, 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable' | 'refColumns'> }) {
  return (
    <>
      <input type="hidden" name="schema" value={rel.schema} />
      <input type="hidden" name="table" value={rel.table} />
      <input type="hidden" name="columns" value={rel.columns.join(',')} />
      <input type="hidden" name="refSchema" value={rel.refSchema} />
      <input type="hidden" name="refTable" value={rel.refTable} />
      <input type="hidden" name="refColumns" value={rel.refColumns.join(',')} />
    </>
  )
}

function AddSoftRelationForm() {
  return (
    <ActionForm action={saveSoftRelationAction} submitLabel="Add relation" className="row soft-relation-form" resetOnSuccess testId="add-soft-relation">
      <input type="hidden" name="status" value="accepted" />
      <input type="hidden" name="origin" value="manual" />
      <label>
        Schema
        <input name="schema" defaultValue="public" required size={8} />
        <FieldError name="schema" />
      </label>
      <label>
        Table
        <input name="table" required size={14} placeholder="agenda_item" />
        <FieldError name="table" />
      </label>
      <label>
        Columns
        <input name="columns" required size={14} placeholder="meeting_id" />
        <FieldError name="columns" />
      </label>
      <span className="soft-relation-arrow" aria-hidden="true">
        →
      </span>
      <label>
        Parent schema
        <input name="refSchema" defaultValue="public" required size={8} />
        <FieldError name="refSchema" />
      </label>
      <label>
        Parent table
        <input name="refTable" required size={14} placeholder="meeting" />
        <FieldError name="refTable" />
      </label>
      <label>
        Parent columns
        <input name="refColumns" required size={10} placeholder="id" />
        <FieldError name="refColumns" />
      </label>
      <label>
        Note (optional)
        <input name="note" maxLength={500} size={20} />
        <FieldError name="note" />
      </label>
    </ActionForm>
  )
}

/** References the dashboard checks without a FOREIGN KEY: the list, a form to add one, and suggestions. */
export async function SoftRelationsPanel({ user, showAll }: { user: AppUser; showAll: boolean }) {
  let soft: SoftRelation[]
  let suggestions: IntegrityRelation[]
  try {
    soft = await listSoftRelations(stateDb(), (await loadTarget()).key)
    suggestions = await suggestRelations(targetDb(), [...(await foreignKeyRelations(targetDb())), ...soft])
  } catch (e) {
    return <WidgetError title="Soft relations" error={e} />
  }
  const canEdit = can(user.role, 'checks.run')
  const limit = showAll ? Infinity : LIST_LIMIT
  const softShown = soft.slice(0, limit)
  const suggestionsShown = suggestions.slice(0, limit)
  return (
    <section className="card integrity-section" id="soft-relations" data-testid="soft-relations">
      <h2>Soft relations</h2>
      <p className="muted">
        References with no FOREIGN KEY in the database (DoR-Dash has several). Accepted ones are checked for orphans like
        foreign keys; dismissed suggestions are not suggested again. Both sides are checked against the live catalog:
        the parent columns must be a primary key or unique.
      </p>
      <DataTable
        label="Soft relations"
        testId="soft-relations-table"
        rows={softShown}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ 'data-relation': describeRelation(r) })}
        empty={canEdit ? 'No soft relations. Add one below, or accept a suggestion.' : 'No soft relations. Operators and admins add them.'}
        columns={[
          { key: 'relation', label: 'Relation', value: (r) => describeRelation(r), mono: true },
          { key: 'origin', label: 'Origin', cell: (r) => <span className="badge muted">{r.origin}</span> },
          { key: 'status', label: 'Status', cell: (r) => <span className={`badge ${r.status === 'accepted' ? 'ok' : 'muted'}`}>{r.status}</span> },
          { key: 'note', label: 'Note', cell: (r) => r.note ?? '', className: 'muted' },
          { key: 'by', label: 'By', value: (r) => r.createdBy },
          canEdit && {
            key: 'delete',
            label: 'Delete',
            cell: (r) => (
              <ActionForm
                action={deleteSoftRelationAction}
                submitLabel="Delete"
                danger
                confirmText={`Delete the soft relation ${describeRelation(r)}? Its orphans are no longer checked${r.status === 'dismissed' ? ' (and it may be suggested again)' : ''}.`}
                testId="delete-soft-relation"
              >
                <input type="hidden" name="id" value={r.id} />
              </ActionForm>
            ),
          },
        ]}
      />
      <NotListed hidden={soft.length - softShown.length} what="soft relations" />
      {canEdit ? (
        <>
          <h3>Add a soft relation</h3>
          <AddSoftRelationForm />
        </>
      ) : null}
      <h3>Suggestions</h3>
      <p className="muted">
        Columns named <span className="mono">&lt;table&gt;_id</span> of a type matching that table&apos;s single-column
        primary key, with no foreign key or soft relation yet. Until accepted or dismissed they are checked as
        &quot;suggested&quot;.
      </p>
      {canEdit && suggestions.length > 1 ? (
        <div className="row">
          <ActionForm
            action={decideAllSuggestionsAction}
            submitLabel={`Accept all ${suggestions.length}`}
            confirmText={`Accept all ${suggestions.length} suggestions as soft relations? Each run then checks them for orphans.`}
            testId="accept-all-suggestions"
          >
            <input type="hidden" name="status" value="accepted" />
          </ActionForm>
          <ActionForm
            action={decideAllSuggestionsAction}
            submitLabel={`Dismiss all ${suggestions.length}`}
            confirmText={`Dismiss all ${suggestions.length} suggestions? They are no longer checked or suggested (delete a dismissal to bring one back).`}
            testId="dismiss-all-suggestions"
          >
            <input type="hidden" name="status" value="dismissed" />
          </ActionForm>
        </div>
      ) : null}
      <DataTable
        label="Suggested relations"
        testId="suggestions-table"
        rows={suggestionsShown}
        rowKey={(r) => describeRelation(r)}
        rowProps={(r) => ({ 'data-relation': describeRelation(r) })}
        empty="No suggestions."
        columns={[
          { key: 'relation', label: 'Relation', value: (r) => describeRelation(r), mono: true },
          canEdit && {
            key: 'decide',
            label: 'Decide',
            className: 'suggestion-actions',
            cell: (r) => (
              <>
                <ActionForm action={saveSoftRelationAction} submitLabel="Accept" testId="accept-suggestion">
                  <RelationFields rel={r} />
                  <input type="hidden" name="status" value="accepted" />
                  <input type="hidden" name="origin" value="suggestion" />
                </ActionForm>
                <ActionForm action={saveSoftRelationAction} submitLabel="Dismiss" testId="dismiss-suggestion">
                  <RelationFields rel={r} />
                  <input type="hidden" name="status" value="dismissed" />
                  <input type="hidden" name="origin" value="suggestion" />
                </ActionForm>
              </>
            ),
          },
        ]}
      />
      <NotListed hidden={suggestions.length - suggestionsShown.length} what="suggestions" />
    </section>
  )
}

function NotListed({ hidden, what }: { hidden: number; what: string }) {
  if (hidden <= 0) return null
  return (
    <p className="muted" data-testid="more-rows">
      {formatCount(hidden)} more {what} not listed. <Link href="/integrity?all=1#soft-relations">Show all</Link>
    </p>
  )
}
