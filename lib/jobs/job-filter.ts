import { z } from 'zod'
import { JOB_KINDS } from './all-kinds'
import { JOB_STATES, type JobState } from './job-store'

/** The Jobs page's filters, from its URL or its route's query string; an unknown value is refused. */
export const JobsFilter = z.object({
  kind: z
    .string()
    .optional()
    .refine((k) => k === undefined || k === '' || JOB_KINDS.some((x) => x.kind === k), { message: `must be one of ${JOB_KINDS.map((k) => k.kind).join(', ')}` })
    .transform((k) => k || undefined),
  state: z
    .string()
    .optional()
    .refine((s) => s === undefined || s === '' || (JOB_STATES as string[]).includes(s), { message: `must be one of ${JOB_STATES.join(', ')}` })
    .transform((s) => (s || undefined) as JobState | undefined),
})
export type JobsFilter = z.infer<typeof JobsFilter>

/** How many jobs the page shows: the newest. */
export const JOBS_SHOWN = 200
