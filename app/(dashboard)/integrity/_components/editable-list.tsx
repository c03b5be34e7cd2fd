import type { ReactNode } from 'react'
import { ActionForm, FieldError } from '@/components/action-form'
import { DataTable } from '@/components/data-table'
import type { ActionResult } from '@/lib/auth/action-result'

type FormAction = (input: FormData) => Promise<ActionResult<unknown>>

export interface ListField {
  name: string
  label: string
  size: number
  placeholder?: string
  defaultValue?: string
}

/**
 * A table of kept settings (value sets, role rules) with Remove per row and a form to add one:
 * controls only for those who may edit.
 */
export function EditableList({
  label,
  headers,
  rows,
  empty,
  canEdit,
  remove,
  add,
}: {
  label: string
  headers: string[]
  rows: { id: number; cells: ReactNode[] }[]
  empty: string
  canEdit: boolean
  remove: { action: FormAction; testId: string }
  add: { action: FormAction; label: string; testId: string; fields: ListField[] }
}) {
  return (
    <>
      <DataTable
        label={label}
        rows={rows}
        rowKey={(r) => r.id}
        empty={empty}
        columns={[
          ...headers.map((h, i) => ({ key: h, label: h, mono: i === 0, cell: (r: { cells: ReactNode[] }) => r.cells[i] })),
          canEdit && {
            key: 'remove',
            label: 'Remove',
            cell: (r) => (
              <ActionForm action={remove.action} submitLabel="Remove" danger testId={remove.testId}>
                <input type="hidden" name="id" value={r.id} />
              </ActionForm>
            ),
          },
        ]}
      />
      {canEdit ? (
        <ActionForm action={add.action} submitLabel={add.label} className="row" resetOnSuccess testId={add.testId}>
          {add.fields.map((f) => (
            <label key={f.name}>
              {f.label}
              <input name={f.name} required size={f.size} placeholder={f.placeholder} defaultValue={f.defaultValue} />
              <FieldError name={f.name} />
            </label>
          ))}
        </ActionForm>
      ) : null}
    </>
  )
}
