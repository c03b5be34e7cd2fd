import { currentUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { describeDbError, withoutRowValues } from '@/lib/db/db-errors'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { findCheckedRelation, orphanCsvLines, primaryKeyColumns, relationFromQuery } from '@/lib/integrity/orphan-csv'

export const dynamic = 'force-dynamic'

/** Lines gathered into one chunk of the response body. */
const CHUNK_CHARS = 64 * 1024

function text(status: number, message: string): Response {
  return new Response(message + '\n', { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } })
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_')
}

/**
 * GET /api/integrity/orphans.csv?schema=…&table=…&columns=a,b&refSchema=…&refTable=…&refColumns=x,y
 * Every orphan of a checked relation (its key and reference values) as CSV, streamed batch by
 * batch. A read, so not an action, but it checks the session and role itself like one.
 */
export async function GET(request: Request): Promise<Response> {
  const user = await currentUser()
  if (!user) return text(401, 'Your session has ended. Sign in again.')
  if (!can(user.role, 'dashboard.read')) return text(403, `Your role (${user.role}) may not do this.`)

  const params = new URL(request.url).searchParams
  const ref = relationFromQuery((n) => params.get(n))
  if (!ref) return text(400, 'Name the relation: schema, table, columns, refSchema, refTable, refColumns (columns comma-separated).')

  let lines: AsyncGenerator<string, void, undefined>
  let head: string[]
  try {
    const rel = await findCheckedRelation(targetDb(), stateDb(), ref)
    if (!rel) return text(404, 'That is not a relation the integrity checks know.')
    const keys = await primaryKeyColumns(targetDb(), rel.schema, rel.table)
    lines = orphanCsvLines(targetDb(), rel, keys)
    // The header and the first batch before answering: a database error is still a clean 503 here.
    head = []
    for (let i = 0; i < 2; i++) {
      const next = await lines.next()
      if (next.done) break
      head.push(next.value)
    }
  } catch (e) {
    console.error('[dbadmin] orphan CSV error:', e)
    return text(503, `The orphans could not be read: ${withoutRowValues(describeDbError(e))}`)
  }

  const encoder = new TextEncoder()
  let pendingHead: string[] | null = head
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk = pendingHead ? pendingHead.join('') : ''
      pendingHead = null
      try {
        while (chunk.length < CHUNK_CHARS) {
          const next = await lines.next()
          if (next.done) {
            if (chunk) controller.enqueue(encoder.encode(chunk))
            controller.close()
            return
          }
          chunk += next.value
        }
      } catch (e) {
        // Mid-download: the status line is gone, so the download ends incomplete (the browser reports it).
        console.error('[dbadmin] orphan CSV error:', e)
        controller.error(e)
        return
      }
      controller.enqueue(encoder.encode(chunk))
    },
    async cancel() {
      await lines.return(undefined)
    },
  })
  const name = `orphans-${fileSafe(ref.schema)}.${fileSafe(ref.table)}-${fileSafe(ref.columns.join('_'))}.csv`
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}
