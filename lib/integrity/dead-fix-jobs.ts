import fs from 'node:fs'
import type { Kysely } from 'kysely'
import { markDeadJobs } from '../jobs/liveness'
import { manifestPath } from './fix-orphans'

/**
 * Records fixes and restores whose process is gone as interrupted, and removes the row files of
 * fixes that died while saving: without a manifest such a file is an incomplete copy, written
 * before any row changed, that nothing can restore from. A file with its manifest is kept.
 */
export async function markDeadFixJobs(state: Kysely<any>): Promise<number[]> {
  const dead = await markDeadJobs(state, 'integrity_fix')
  for (const job of dead) {
    // Only what a fix writes: a row file of JSON lines (a path in the state database is not trusted further).
    if (job.kind !== 'fix' || typeof job.file !== 'string' || !job.file.endsWith('.jsonl')) continue
    if (!fs.existsSync(manifestPath(job.file))) fs.rmSync(job.file, { force: true })
  }
  return dead.map((j) => Number(j.id))
}
