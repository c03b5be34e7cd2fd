import { z } from 'zod'

export const PAGE_SIZE = 50

/** The schema list's filter as it travels in the URL; anything malformed is ignored, not an error. */
const ListParamsSchema = z.object({
  q: z.string().max(200).optional().catch(undefined),
  schema: z.string().max(200).optional().catch(undefined),
  system: z.literal('1').optional().catch(undefined),
  sort: z.enum(['name', 'size', 'rows']).optional().catch(undefined),
  dir: z.enum(['asc', 'desc']).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(1_000_000).optional().catch(undefined),
})

export type ListParams = z.infer<typeof ListParamsSchema>

type RawParams = Record<string, string | string[] | undefined>

/** The first non-empty value of each parameter. */
export function firstValues(raw: RawParams): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) {
    const value = Array.isArray(v) ? v[0] : v
    if (value) out[k] = value
  }
  return out
}

export function parseListParams(raw: RawParams): ListParams {
  return ListParamsSchema.parse(firstValues(raw))
}

/** Names A to Z, sizes and row counts largest first. */
export const firstDirection = (sort: ListParams['sort']): 'asc' | 'desc' => (sort === 'size' || sort === 'rows' ? 'desc' : 'asc')

/** `/schema?…` for these filters and page, carrying only what differs from the defaults. */
export function listHref(params: ListParams, page = params.page ?? 1): string {
  const sp = new URLSearchParams()
  if (params.q) sp.set('q', params.q)
  if (params.schema) sp.set('schema', params.schema)
  if (params.system) sp.set('system', '1')
  if (params.sort && params.sort !== 'name') sp.set('sort', params.sort)
  if (params.dir && params.dir !== firstDirection(params.sort)) sp.set('dir', params.dir)
  if (page > 1) sp.set('page', String(page))
  const query = sp.toString()
  return query ? `/schema?${query}` : '/schema'
}
