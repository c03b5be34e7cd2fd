import { Readable } from 'node:stream'
import { auditCsvStream } from '@/lib/audit/audit-csv'
import { auditFilterOf, AuditFilterParams } from '@/lib/audit/audit-filter'
import { guardedRead, refusalText } from '@/lib/auth/action'
import { stateDb } from '@/lib/db/server-dbs'

export const dynamic = 'force-dynamic'

/**
 * GET /api/audit/export.csv?action=…&actor=…&result=…&q=…&since=…&until=…: the audit log as CSV,
 * with the Audit page's filters, newest first, streamed a page at a time (admins, audited).
 */
export async function GET(request: Request): Promise<Response> {
  const query = Object.fromEntries(new URL(request.url).searchParams)
  const result = await guardedRead(
    {
      name: 'audit.export_csv',
      permission: 'audit.read',
      input: AuditFilterParams,
      target: (p) => Object.entries(auditFilterOf(p)).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString().slice(0, 10) : v}`).join(' ') || 'all',
      async run(_ctx, params) {
        return { message: 'Exported the audit log as CSV.', data: auditFilterOf(params) }
      },
    },
    Object.fromEntries(Object.entries(query).filter(([, v]) => v)),
  )
  if (!result.ok) return refusalText(result)
  const stamp = new Date().toISOString().slice(0, 10)
  const body = Readable.toWeb(auditCsvStream(stateDb(), result.data!)) as ReadableStream<Uint8Array>
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="audit-${stamp}.csv"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}
