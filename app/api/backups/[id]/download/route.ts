import { requestClientIp, sessionClaims } from '@/lib/auth/current-user'
import { stateDb } from '@/lib/db/server-dbs'
import { downloadResponse } from './download-response'

export const dynamic = 'force-dynamic'

/** GET /api/backups/<id>/download: see download-response.ts. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  return downloadResponse(request, (await params).id, {
    stateDb: stateDb(),
    session: await sessionClaims(),
    clientIp: await requestClientIp(),
    logError: (ref, e) => console.error(`[dbadmin] backup download error ${ref}:`, e),
  })
}
