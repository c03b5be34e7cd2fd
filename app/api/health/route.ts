import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { ping } from '@/lib/health/database-health'

export const dynamic = 'force-dynamic'

/** For load balancers and monitors: 200 when both databases answer, 503 naming the one that does not. */
export async function GET() {
  const [target, state] = await Promise.allSettled([
    (async () => ping(targetDb()))(),
    (async () => ping(stateDb()))(),
  ])
  const failed = [target.status === 'rejected' ? 'target' : null, state.status === 'rejected' ? 'state' : null].filter(
    (x): x is string => x !== null,
  )
  if (failed.length === 0) return Response.json({ status: 'ok', target: 'ok', state: 'ok' })
  return Response.json(
    {
      status: 'error',
      failed,
      target: target.status === 'fulfilled' ? 'ok' : 'unreachable',
      state: state.status === 'fulfilled' ? 'ok' : 'unreachable',
    },
    { status: 503 },
  )
}
