import { sql } from 'kysely'
import { containsPattern, escapeLike } from '../db/like-pattern'
import { looksSecret } from '../db/secret-names'
import type { StateDb } from '../state/state-db'

/** 'started': a change recorded before it runs, whose result has not been written (yet). */
export type AuditResult = 'started' | 'ok' | 'denied' | 'invalid' | 'failed' | 'error'

export const AUDIT_RESULTS: readonly AuditResult[] = ['started', 'ok', 'denied', 'invalid', 'failed', 'error']

export interface AuditEntry {
  actorId?: string | null
  actorEmail?: string | null
  action: string
  target?: string | null
  input?: unknown
  result: AuditResult
  code: string
  message?: string | null
  durationMs?: number
  clientIp?: string | null
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'input'>> {
  id: number
  at: Date
  input: unknown
}

const MAX_STRING = 200
const MAX_ITEMS = 20
const MAX_KEYS = 50
const MAX_DEPTH = 3
/** The most an input summary may take in the audit log, as JSON text. */
export const MAX_AUDIT_INPUT_CHARS = 8192

/** What is left of the summary's size; each value and key written takes its share. */
interface Budget {
  left: number
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000: a NUL sent in an input (`%00` in a URL) would make
 * the record, and so the request it guards, fail. It is kept visible as U+FFFD.
 */
export function withoutNul<T extends string | null | undefined>(s: T): T {
  return (typeof s === 'string' && s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s) as T
}

function summarize(input: unknown, depth: number, budget: Budget): unknown {
  if (input === null || input === undefined) return null
  if (typeof input === 'string') {
    const s = withoutNul(input.length > MAX_STRING ? input.slice(0, MAX_STRING) + '…' : input)
    budget.left -= JSON.stringify(s).length
    return s
  }
  if (typeof input === 'bigint') return summarize(String(input), depth, budget)
  if (typeof input !== 'object') {
    budget.left -= String(input).length + 1
    return input
  }
  if (depth > MAX_DEPTH) {
    budget.left -= 4
    return '…'
  }
  if (Array.isArray(input)) {
    const items: unknown[] = []
    for (const item of input.slice(0, MAX_ITEMS)) {
      if (budget.left <= 0) break
      items.push(summarize(item, depth + 1, budget))
    }
    const rest = input.length - items.length
    return rest > 0 ? [...items, `… ${rest} more`] : items
  }
  const out: Record<string, unknown> = {}
  let total = 0
  let taken = 0
  for (const k in input as Record<string, unknown>) {
    if (!Object.hasOwn(input, k)) continue
    total++
    if (taken >= MAX_KEYS || budget.left <= 0) continue
    const key = withoutNul(k.length > MAX_STRING ? k.slice(0, MAX_STRING) + '…' : k)
    budget.left -= JSON.stringify(key).length + 2
    out[key] = looksSecret(k) ? '[redacted]' : summarize((input as Record<string, unknown>)[k], depth + 1, budget)
    taken++
  }
  if (total > taken) out['…'] = `${total - taken} more keys`
  return out
}

/**
 * What of an input goes into the audit log: secrets replaced; long strings, lists, key sets and
 * nesting cut; the whole at most MAX_AUDIT_INPUT_CHARS of JSON, whatever was sent.
 */
export function summarizeInput(input: unknown): unknown {
  // Room for the markers written after the budget runs out.
  const summary = summarize(input, 0, { left: MAX_AUDIT_INPUT_CHARS - 512 })
  const size = JSON.stringify(summary)?.length ?? 0
  return size <= MAX_AUDIT_INPUT_CHARS ? summary : { '…': `an input of more than ${MAX_AUDIT_INPUT_CHARS} characters, left out` }
}

function rowOf(entry: AuditEntry) {
  return {
    actor_id: entry.actorId ?? null,
    actor_email: withoutNul(entry.actorEmail) ?? null,
    action: withoutNul(entry.action),
    target: withoutNul(entry.target) ?? null,
    input: entry.input === undefined ? null : JSON.stringify(summarizeInput(entry.input)),
    result: entry.result,
    code: entry.code,
    message: withoutNul(entry.message?.slice(0, 1000)) ?? null,
    duration_ms: Math.max(0, Math.round(entry.durationMs ?? 0)),
    client_ip: entry.clientIp ?? null,
  }
}

/** Writes one record; throws when it cannot (callers that change something must then refuse). */
export async function writeAudit(db: StateDb, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values(rowOf(entry)).execute()
}

/**
 * Records a change before it runs, as 'started'; its result is written by finishAudit. A change
 * whose start cannot be recorded must not run.
 */
export async function startAudit(db: StateDb, entry: Omit<AuditEntry, 'result' | 'code'>): Promise<number> {
  const row = await db
    .insertInto('audit_log')
    .values(rowOf({ ...entry, result: 'started', code: 'started' }))
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

/** Writes the result of a change recorded by startAudit; throws when the record cannot be updated. */
export async function finishAudit(
  db: StateDb,
  id: number,
  outcome: { result: Exclude<AuditResult, 'started'>; code: string; message?: string | null; durationMs?: number; target?: string | null },
): Promise<void> {
  const done = await db
    .updateTable('audit_log')
    .set({
      result: outcome.result,
      code: outcome.code,
      message: withoutNul(outcome.message?.slice(0, 1000)) ?? null,
      duration_ms: Math.max(0, Math.round(outcome.durationMs ?? 0)),
      ...(outcome.target !== undefined ? { target: withoutNul(outcome.target) } : {}),
    })
    .where('id', '=', id)
    .where('result', '=', 'started')
    .executeTakeFirst()
  if (Number(done.numUpdatedRows) !== 1) throw new Error(`audit record #${id} is gone or finished already`)
}

export interface AuditFilter {
  action?: string
  actor?: string
  result?: AuditResult
  /** Free text matched against action, target, actor and message. */
  q?: string
  since?: Date
  until?: Date
  /** Keyset pagination: entries with an id below this one. */
  beforeId?: number
  limit?: number
}

export async function listAudit(db: StateDb, filter: AuditFilter = {}): Promise<AuditRecord[]> {
  let query = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 500))
  if (filter.action) query = query.where('action', 'like', escapeLike(filter.action) + '%')
  if (filter.actor) query = query.where(sql`lower(actor_email)`, 'like', containsPattern(filter.actor.toLowerCase()))
  if (filter.result) query = query.where('result', '=', filter.result)
  if (filter.since) query = query.where('at', '>=', filter.since)
  if (filter.until) query = query.where('at', '<', filter.until)
  if (filter.beforeId) query = query.where('id', '<', filter.beforeId)
  if (filter.q) {
    const pattern = containsPattern(filter.q)
    query = query.where((eb) =>
      eb.or([
        eb('action', 'ilike', pattern),
        eb('target', 'ilike', pattern),
        eb('actor_email', 'ilike', pattern),
        eb('message', 'ilike', pattern),
      ]),
    )
  }
  const rows = await query.execute()
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actorId: r.actor_id,
    actorEmail: r.actor_email,
    action: r.action,
    target: r.target,
    input: r.input,
    result: r.result as AuditResult,
    code: r.code,
    message: r.message,
    durationMs: r.duration_ms,
    clientIp: r.client_ip,
  }))
}

export async function listAuditActions(db: StateDb): Promise<string[]> {
  const rows = await db.selectFrom('audit_log').select('action').distinct().orderBy('action').execute()
  return rows.map((r) => r.action)
}
