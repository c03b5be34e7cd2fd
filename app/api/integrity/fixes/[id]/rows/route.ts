import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { z } from 'zod'
import { ActionError } from '@/lib/auth/action-result'
import { requestClientIp, sessionClaims } from '@/lib/auth/current-user'
import { runGuarded } from '@/lib/auth/guarded-run'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { manifestPath } from '@/lib/integrity/fix-file'
import { getFixJob } from '@/lib/integrity/fix-store'

export const dynamic = 'force-dynamic'

const STATUS: Record<string, number> = { unauthenticated: 401, forbidden: 403, invalid_input: 400, not_found: 404 }

/**
 * GET /api/integrity/fixes/<id>/rows: the rows a fix saved before changing them (JSON lines, whole
 * rows, secrets included), for admins with backups.download. Audited like an action, since it hands
 * out data.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const result = await runGuarded(
    {
      name: 'integrity.fix.download_rows',
      permission: 'backups.download',
      input: z.object({ id: z.coerce.number({ message: 'must be a number' }).int({ message: 'must be a whole number' }).positive({ message: 'must be positive' }) }),
      target: (input) => `fix job #${input.id}`,
      async run(_ctx, input) {
        const job = await getFixJob(stateDb(), input.id)
        // Another target's fix (a state database shared by several) is not this dashboard's to hand out.
        if (!job || job.kind !== 'fix' || job.targetKey !== (await targetIdentity(targetDb())).key) {
          throw new ActionError('not_found', `There is no fix #${input.id}.`)
        }
        // The manifest is written once every row is saved: before that the file is incomplete.
        if (!fs.existsSync(manifestPath(job.file))) throw new ActionError('not_found', `Fix #${input.id} has no complete saved rows.`)
        if (!fs.existsSync(job.file)) throw new ActionError('not_found', `The saved rows of fix #${input.id} are gone from ${job.file}.`)
        return { message: `Downloaded the saved rows of fix #${input.id} (${job.file})`, data: { file: job.file } }
      },
    },
    {
      stateDb: stateDb(),
      session: await sessionClaims(),
      clientIp: await requestClientIp(),
      rawInput: { id: (await params).id },
      logError: (ref, e) => console.error(`[dbadmin] saved rows download error ${ref}:`, e),
    },
  )
  if (!result.ok) {
    return new Response(result.message + '\n', {
      status: STATUS[result.code] ?? 500,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    })
  }
  const file = (result.data as { file: string }).file
  const body = Readable.toWeb(fs.createReadStream(file)) as ReadableStream<Uint8Array>
  return new Response(body, {
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${path.basename(file)}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}
