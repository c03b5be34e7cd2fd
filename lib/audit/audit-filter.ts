import { z } from 'zod'
import { AUDIT_RESULTS, type AuditFilter } from './audit-log'

/**
 * The audit page's filters as query parameters, shared by the page and its CSV export so that the
 * export holds exactly what the page lists. A value that does not parse is ignored, as on the page.
 */
export const AuditFilterParams = z.object({
  action: z.string().max(100).optional().catch(undefined),
  actor: z.string().max(320).optional().catch(undefined),
  result: z.enum(AUDIT_RESULTS as [string, ...string[]]).optional().catch(undefined),
  q: z.string().max(200).optional().catch(undefined),
  since: z.coerce.date().optional().catch(undefined),
  until: z.coerce.date().optional().catch(undefined),
  before: z.coerce.number().int().positive().optional().catch(undefined),
})

export type AuditFilterParams = z.infer<typeof AuditFilterParams>

/** Query parameters (empty ones dropped) as parsed filters. */
export function parseAuditFilter(raw: Record<string, string | undefined>): AuditFilterParams {
  return AuditFilterParams.parse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v)))
}

/** The filter of the parsed parameters, without paging. */
export function auditFilterOf(p: AuditFilterParams): Omit<AuditFilter, 'limit' | 'beforeId'> {
  return {
    action: p.action,
    actor: p.actor,
    result: p.result as AuditFilter['result'],
    q: p.q,
    since: p.since,
    until: p.until,
  }
}
