import { z } from 'zod'
import { guardedRead, refusalText } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { describeDbError, withoutRowValues } from '@/lib/db/db-errors'
import { dataReaderDb, stateDb } from '@/lib/db/server-dbs'
import { findCheckedRelation, orphanCsvLines, primaryKeyColumns, relationFromQuery } from '@/lib/integrity/orphan-csv'

export const dynamic = 'force-dynamic'

/** Lines gathered into one chunk of the response body. */
const CHUNK_CHARS = 64 * 1024

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_')
}

/**
 * GET /api/integrity/orphans.csv?schema=…&table=…&columns=a,b&refSchema=…&refTable=…&refColumns=x,y
 * Every orphan of a checked relation (its key and reference values) as CSV, streamed batch by
 * batch. A read, so not an action, but checked and audited like one (a download of table data).
 */
export async function GET(request: Request): Promise<Response> {
  const params = new URL(request.url).searchParams
  const result = await guardedRead(
    {
      name: 'integrity.orphans_csv',
      permission: 'dashboard.read',
      input: z.record(z.string(), z.string()),
      target: (q) => (q.schema && q.table ? `${q.schema}.${q.table}` : null),
      async run(_ctx, query) {
        const ref = relationFromQuery((n) => query[n])
        if (!ref) throw new ActionError('invalid_input', 'Name the relation: schema, table, columns, refSchema, refTable, refColumns (columns comma-separated).')
        try {
          const rel = await findCheckedRelation(dataReaderDb(), stateDb(), ref)
          if (!rel) throw new ActionError('not_found', 'That is not a relation the integrity checks know.')
          const keys = await primaryKeyColumns(dataReaderDb(), rel.schema, rel.table)
          const lines = orphanCsvLines(dataReaderDb(), rel, keys)
          // The header and the first batch before answering: a database error is still a clean 503 here.
          const head: string[] = []
          for (let i = 0; i < 2; i++) {
            const next = await lines.next()
            if (next.done) break
            head.push(next.value)
          }
          const name = `orphans-${fileSafe(ref.schema)}.${fileSafe(ref.table)}-${fileSafe(ref.columns.join('_'))}.csv`
          return { message: `Downloaded the orphans of ${ref.schema}.${ref.table} as CSV.`, data: { lines, head, name } }
        } catch (e) {
          if (e instanceof ActionError) throw e
          console.error('[dbadmin] orphan CSV error:', e)
          throw new ActionError('unavailable', `The orphans could not be read: ${withoutRowValues(describeDbError(e))}`)
        }
      },
    },
    Object.fromEntries(params),
  )
  if (!result.ok) return refusalText(result)
  const { lines, head, name } = result.data!

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
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}
