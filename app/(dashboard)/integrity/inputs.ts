import { z } from 'zod'

// The zod pieces the integrity actions share (this module is not 'use server': it exports schemas).

export const name = z.string().trim().min(1, { message: 'is required' }).max(200, { message: 'must be at most 200 characters' })
export const id = z.coerce.number({ message: 'must be a number' }).int({ message: 'must be a whole number' }).positive({ message: 'must be positive' })

/** A list as a form sends it ("a, b") or as code does (['a', 'b']). */
export function commaList(list: string, one: string, max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
    z
      .array(name, { message: `give ${list}, separated by commas` })
      .min(1, { message: `give at least one ${one}` })
      .max(max, { message: `at most ${max} ${one}s` }),
  )
}

export const columnList = commaList('column names', 'column', 32)

export const emptyAsMissing = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

export const RelationInput = z.object({
  schema: name,
  table: name,
  columns: columnList,
  refSchema: name,
  refTable: name,
  refColumns: columnList,
})
