import pg from 'pg'
import { describeUrl } from '../lib/db/connect'
import { describeDbError } from '../lib/db/db-errors'

/** A database the CLI uses, and where its URL came from (an env variable, or the embedded cluster). */
export interface NamedDatabase {
  role: 'target' | 'state'
  url: string
  from: string
}

// Network failures, authentication, a missing database, a server shutting down or full.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '28P01',
  '28000',
  '3D000',
  '53300',
  '57P01',
  '57P02',
  '57P03',
])

export function isConnectionFailure(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown; errors?: unknown[]; cause?: unknown }
  if (Array.isArray(err?.errors) && err.errors.some(isConnectionFailure)) return true
  if (err?.cause && err.cause !== e && isConnectionFailure(err.cause)) return true
  if (typeof err?.code === 'string' && (CONNECTION_CODES.has(err.code) || err.code.startsWith('08'))) return true
  return /timeout exceeded when trying to connect|Connection terminated/i.test(String(err?.message ?? ''))
}

/** Why a fresh connection to `url` fails now, or null when it works. */
async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'dbadmin cli' })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (e) {
    return describeDbError(e)
  } finally {
    await client.end().catch(() => {})
  }
}

function where(db: NamedDatabase): string {
  const u = describeUrl(db.url)
  return `${db.from}: ${u.host}:${u.port}, database ${u.database}`
}

/**
 * For a connection failure, which of the CLI's databases failed, found by connecting to each
 * again: one line per failing database with host, port and database name (never the password).
 * Null when `e` is not a connection failure.
 */
export async function connectionFailureMessage(e: unknown, dbs: NamedDatabase[]): Promise<string | null> {
  if (!isConnectionFailure(e) || dbs.length === 0) return null
  const results = await Promise.all(dbs.map(async (db) => ({ db, error: await probe(db.url) })))
  const failing = results.filter((r) => r.error !== null)
  if (failing.length === 0) {
    return `a database connection failed (${describeDbError(e)}); the ${dbs.map((d) => `${d.role} database (${where(d)})`).join(' and the ')} ${dbs.length === 1 ? 'answers' : 'answer'} again now`
  }
  return failing.map((r) => `cannot connect to the ${r.db.role} database (${where(r.db)}): ${r.error}`).join('\n')
}
