import { describe, expect, it } from 'vitest'
import { CreateInput, RestoreInput } from './backup-inputs'

// What the Backups page's fields accept, as the form sends them: names like `Order; DROP TABLE x;--`
// or `ünïcode schema` must just work, and so must a name with a comma when quoted.
describe('the create form', () => {
  it('reads odd table names, quoted parts with dots, quotes and commas among several', () => {
    const r = CreateInput.parse({ kind: 'full', tables: '"ünïcode schema"."Order; DROP TABLE x;--", public."Orders, 2024", "a""b".t, meeting' })
    expect(r.tables).toEqual([
      { schema: 'ünïcode schema', table: 'Order; DROP TABLE x;--' },
      { schema: 'public', table: 'Orders, 2024' },
      { schema: 'a"b', table: 't' },
      { schema: 'public', table: 'meeting' },
    ])
  })

  it('reads schema names as typed, or quoted when they hold a comma', () => {
    expect(CreateInput.parse({ kind: 'schema', schemas: 'ünïcode schema, "Sales, EU", public' }).schemas).toEqual(['ünïcode schema', 'Sales, EU', 'public'])
    expect(CreateInput.parse({ kind: 'full', schemas: '  ' }).schemas).toBeUndefined()
  })

  it('refuses a table name it cannot read, saying how it is written', () => {
    const r = CreateInput.safeParse({ kind: 'full', tables: 'public.a.b' })
    expect(r.success).toBe(false)
    expect(r.error!.issues[0]).toMatchObject({ path: ['tables', 0], message: 'must be schema.table' })
  })
})

describe('the restore form', () => {
  it('reads an odd table and new name for a single-table restore', () => {
    const r = RestoreInput.parse({ id: '5fc60a89-d842-4124-b97a-a79208c72251', mode: 'table', table: '"ünïcode schema"."Order; DROP TABLE x;--"', as: 'Copy; x', confirm: 'dor' })
    expect(r).toMatchObject({ table: { schema: 'ünïcode schema', table: 'Order; DROP TABLE x;--' }, as: 'Copy; x' })
  })
})
