import { Readable, pipeline } from 'node:stream'
import { stringify } from 'csv-stringify'
import { formulaSafe } from '../format/csv-formula'
import { type AuditFilter, type AuditRecord, listAudit } from './audit-log'
import type { StateDb } from '../state/state-db'

/** The columns of the audit CSV, in order, with their header names. */
export const AUDIT_CSV_COLUMNS = [
  { key: 'id', header: 'id' },
  { key: 'at', header: 'at' },
  { key: 'actorEmail', header: 'actor' },
  { key: 'action', header: 'action' },
  { key: 'target', header: 'target' },
  { key: 'result', header: 'result' },
  { key: 'code', header: 'code' },
  { key: 'message', header: 'message' },
  { key: 'durationMs', header: 'duration_ms' },
  { key: 'clientIp', header: 'client_ip' },
  { key: 'input', header: 'input' },
] as const

const PAGE = 500

/** Every record the filter matches, newest first, one page of keyset pagination at a time. */
export async function* auditRecords(db: StateDb, filter: Omit<AuditFilter, 'limit' | 'beforeId'> = {}): AsyncGenerator<AuditRecord> {
  let beforeId: number | undefined
  while (true) {
    const page = await listAudit(db, { ...filter, beforeId, limit: PAGE })
    yield* page
    if (page.length < PAGE) return
    beforeId = Number(page[page.length - 1].id)
  }
}

function row(r: AuditRecord): Record<string, string | number | null> {
  return {
    id: Number(r.id),
    at: new Date(r.at).toISOString(),
    actorEmail: r.actorEmail,
    action: r.action,
    target: r.target,
    result: r.result,
    code: r.code,
    message: r.message,
    durationMs: r.durationMs,
    clientIp: r.clientIp,
    input: r.input === null || r.input === undefined ? null : JSON.stringify(r.input),
  }
}

/**
 * The audit log as a CSV stream (RFC 4180, CRLF, a header line), newest first, read a page at a
 * time so an export of millions of records never holds more than one page. Text a spreadsheet
 * would run as a formula is written with a leading '. Pipe it to the response; destroying it stops
 * the reading.
 */
export function auditCsvStream(db: StateDb, filter: Omit<AuditFilter, 'limit' | 'beforeId'> = {}): Readable {
  const csv = stringify({
    header: true,
    columns: AUDIT_CSV_COLUMNS.map((c) => ({ key: c.key, header: c.header })),
    record_delimiter: 'windows',
    // A lone CR or LF inside a value must be quoted too, not only the CRLF record delimiter.
    quoted_match: /[\r\n]/,
    cast: { string: (value) => formulaSafe(value) },
  })
  const rows = Readable.from(
    (async function* () {
      for await (const r of auditRecords(db, filter)) yield row(r)
    })(),
  )
  // A failed read destroys the CSV with its error; a CSV destroyed by its reader stops the reading.
  pipeline(rows, csv, () => {})
  return csv
}
