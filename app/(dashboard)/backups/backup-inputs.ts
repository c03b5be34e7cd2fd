import { z } from 'zod'
import { parseTableName } from '@/lib/backups/table-name'

// The inputs of the Backups page's actions, as forms send them (strings) or code does (values).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const backupId = z.string({ message: 'is required' }).trim().regex(UUID, { message: 'is not a backup id' })

const emptyAsMissing = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const name = z.string().trim().min(1, { message: 'is required' }).max(63, { message: 'must be at most 63 characters' })

/** Splits "a, b" at the commas outside double quotes: `"Orders, 2024"` stays one name. */
export function splitNames(text: string): string[] {
  const out: string[] = []
  let current = ''
  let quoted = false
  for (const ch of text) {
    if (ch === '"') quoted = !quoted
    if (ch === ',' && !quoted) {
      out.push(current)
      current = ''
    } else current += ch
  }
  out.push(current)
  return out.map((s) => s.trim()).filter(Boolean)
}

/** "a, b" from a form or ['a', 'b'] from code; empty means none. */
function list<T extends z.ZodType>(item: T, max: number) {
  return z.preprocess((v) => (typeof v === 'string' ? splitNames(v) : v), z.array(item).max(max, { message: `at most ${max}` }))
}

/** A schema name as typed: wrapped in double quotes it may hold commas (`"a, b"`, `""` for a quote). */
const schemaName = z.preprocess((v) => (typeof v === 'string' && /^\s*"(?:[^"]|"")+"\s*$/.test(v) ? v.trim().slice(1, -1).replaceAll('""', '"') : v), name)

export const tableName = z
  .string()
  .trim()
  .min(1, { message: 'is required' })
  .transform((v, ctx) => {
    const t = parseTableName(v)
    if (!t) {
      ctx.addIssue({ code: 'custom', message: 'must be schema.table' })
      return z.NEVER
    }
    return t
  })

const bool = z.preprocess((v) => v === true || v === 'true' || v === 'on' || v === '1', z.boolean())

export const CreateInput = z.object({
  kind: z.enum(['full', 'schema', 'data'], { message: "must be 'full', 'schema' or 'data'" }),
  format: z.enum(['custom', 'directory', 'plain'], { message: "must be 'custom', 'directory' or 'plain'" }).default('custom'),
  schemas: z.preprocess(emptyAsMissing, list(schemaName, 50).optional()),
  tables: z.preprocess(emptyAsMissing, list(tableName, 200).optional()),
})

export const IdInput = z.object({ id: backupId })

export const JobIdInput = z.object({
  jobId: z.coerce.number({ message: 'must be a job number' }).int({ message: 'must be a job number' }).positive({ message: 'must be a job number' }),
})

export const VerifyInput = z.object({ id: backupId, drill: bool.default(false) })

export const RestoreInput = z
  .object({
    id: backupId,
    mode: z.enum(['new', 'target', 'table'], { message: "must be 'new', 'target' or 'table'" }),
    /** The new database (mode new; mode table when restoring into a new one). */
    database: z.preprocess(emptyAsMissing, name.optional()),
    table: z.preprocess(emptyAsMissing, tableName.optional()),
    /** Restore the table under this name beside the original. */
    as: z.preprocess(emptyAsMissing, name.optional()),
    /** The name of the database written to, typed by hand. */
    confirm: z.string({ message: 'type the database name to confirm' }).trim().min(1, { message: 'type the database name to confirm' }),
  })
  .superRefine((v, ctx) => {
    if (v.mode === 'new' && !v.database) ctx.addIssue({ code: 'custom', path: ['database'], message: 'name the new database' })
    if (v.mode === 'table' && !v.table) ctx.addIssue({ code: 'custom', path: ['table'], message: 'name the table to restore' })
    if (v.mode !== 'table' && (v.table || v.as)) ctx.addIssue({ code: 'custom', path: ['table'], message: 'is only for a single-table restore' })
  })

const keep = z.preprocess(emptyAsMissing, z.coerce.number({ message: 'must be a number' }).int({ message: 'must be a whole number' }).min(0, { message: 'must be 0 or more' }).max(10_000, { message: 'must be at most 10000' }).optional())

export const RetentionInput = z
  .object({
    keepLast: keep,
    keepDaily: keep,
    keepWeekly: keep,
    keepMonthly: keep,
    keepWithinDays: keep,
    /** preview: only say what it would delete; save: keep it for scheduled backups; apply: save and delete now. */
    intent: z.enum(['preview', 'save', 'apply'], { message: "must be 'preview', 'save' or 'apply'" }).default('preview'),
    /** Applied after each successful scheduled backup (a checkbox: absent is off). */
    enabled: bool.default(false),
  })
  .refine((v) => [v.keepLast, v.keepDaily, v.keepWeekly, v.keepMonthly, v.keepWithinDays].some((n) => (n ?? 0) > 0), {
    message: 'a policy must keep something: set at least one rule above 0',
  })
