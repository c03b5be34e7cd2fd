import { z } from 'zod'
import { readParams, readRoute } from '@/lib/auth/read-route'
import { HEALTH_RANGES } from '@/lib/metrics/health-view'
import { serverHealthView } from '@/lib/metrics/server-health-view'

export const dynamic = 'force-dynamic'

const Params = z.object({ range: z.enum(HEALTH_RANGES as [string, ...string[]], { message: `must be one of ${HEALTH_RANGES.join(', ')}` }) })

/** GET /api/health/series?range=1h: the Health page's charts, polled while the page is visible. */
export const GET = readRoute('dashboard.read', (_user, params) => serverHealthView(readParams(Params, params).range as (typeof HEALTH_RANGES)[number]))
