/**
 * Fixing orphans at scale, against what an admin does by hand, measured alternately in the same run:
 *   npx tsx bench/fix.bench.ts [--scale 500] [--shape migrations|bare] [--database-url URL] [--rounds 3]
 * For each DoR relation (agenda items whose meeting is gone: delete; uploads whose agenda item is
 * gone: set NULL):
 *   (a) fixOrphans: the rows saved to a file through one cursor, then changed in batches of 5,000
 *       (restored afterwards, untimed, so every round starts from the same data);
 *   (b) the same by hand through psql: \copy the orphans to a CSV file, then one UPDATE or DELETE, in a
 *       transaction that is rolled back.
 * Each round prints the time of each phase of both sides (ours: reading the table's facts, saving,
 * changing; by hand: \copy, then the DELETE or UPDATE), so that a slower side shows where.
 * Target: (a)/(b) ≤ 1.2, on the seeded database (--shape migrations, the default) and on one built by
 * hand as production is (--shape bare: primary keys and foreign keys to "user" only, no other index).
 * Default database: dor_bench (dor_bench_bare) in the embedded cluster, seeded as for bench:integrity.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createDb, describeUrl } from '../lib/db/connect'
import type { FixMode } from '../lib/integrity/fix-file'
import { fixOrphans, restoreFix } from '../lib/integrity/fix-orphans'
import { countOrphans } from '../lib/integrity/orphans'
import { openBenchDatabase } from './bench-database'
import { median, ms, runBenchmark } from './bench-kit'
import { dorBenchOptions, ensureSeeded, psql, timed } from './dor-bench'
import { benchDatabaseName } from './seed-dor'

const TARGET = 1.2

const CASES: { title: string; mode: FixMode; rel: { schema: string; table: string; columns: string[]; refSchema: string; refTable: string; refColumns: string[] }; byHand: string[] }[] = [
  {
    title: 'agenda items without a meeting: delete',
    mode: 'delete',
    rel: { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] },
    byHand: [
      'BEGIN',
      "\\copy (SELECT a.* FROM agenda_item a LEFT JOIN meeting m ON a.meeting_id = m.id WHERE m.id IS NULL) TO 'FILE' CSV HEADER",
      'DELETE FROM agenda_item a WHERE NOT EXISTS (SELECT 1 FROM meeting m WHERE m.id = a.meeting_id)',
      'ROLLBACK',
    ],
  },
  {
    title: 'uploads without an agenda item: set NULL',
    mode: 'set_null',
    rel: { schema: 'public', table: 'fileupload', columns: ['agenda_item_id'], refSchema: 'public', refTable: 'agenda_item', refColumns: ['id'] },
    byHand: [
      'BEGIN',
      "\\copy (SELECT f.* FROM fileupload f LEFT JOIN agenda_item a ON f.agenda_item_id = a.id WHERE f.agenda_item_id IS NOT NULL AND a.id IS NULL) TO 'FILE' CSV HEADER",
      'UPDATE fileupload f SET agenda_item_id = NULL WHERE f.agenda_item_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agenda_item a WHERE a.id = f.agenda_item_id)',
      'ROLLBACK',
    ],
  },
]

async function main(): Promise<void> {
  const { scale, rounds, shape, databaseUrl } = dorBenchOptions('fix.bench.ts')
  const bench = await openBenchDatabase(benchDatabaseName(shape), databaseUrl)
  const where = describeUrl(bench.url)
  console.log(`fix benchmark on ${where.database} at ${where.host}:${where.port}, scale ${scale}, ${shape} shape, ${rounds} rounds`)
  const db = createDb(bench.url, { max: 2, applicationName: 'dor-bench-fix' })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dor-bench-fix-'))
  let worst = 0
  try {
    await ensureSeeded(db, scale, shape)
    for (const c of CASES) {
      const orphans = await countOrphans(db, c.rel)
      console.log(`\n${c.title}: ${orphans} orphan rows`)
      const ours: number[] = []
      const byHand: number[] = []
      const restore: number[] = []
      const ourPhases: string[] = []
      const handPhases: string[] = []
      for (let r = 0; r < rounds; r++) {
        const file = path.join(dir, `${c.rel.table}-${r}.jsonl`)
        const a = async () => {
          const { ms: took, value } = await timed(() => fixOrphans(db, c.rel, { mode: c.mode, file, expected: orphans }))
          if (value.changed !== orphans) throw new Error(`the fix changed ${value.changed} rows, not ${orphans}`)
          ours.push(took)
          const t = value.phaseMs
          ourPhases[r] = `facts ${ms(t.facts)}, save ${ms(t.saving)}, change ${ms(t.changing)}`
          const back = await timed(() => restoreFix(db, file))
          if (back.value.restored !== orphans) throw new Error(`the restore put back ${back.value.restored} rows, not ${orphans}`)
          restore.push(back.ms)
        }
        const b = async () => {
          const csv = path.join(dir, `${c.rel.table}-${r}.csv`)
          const run = await psql(bench.url, c.byHand.map((s) => s.replace('FILE', csv)))
          byHand.push(run.ms)
          // \timing reports BEGIN, \copy, the change, ROLLBACK.
          handPhases[r] = `copy ${ms(run.times[1] ?? NaN)}, change ${ms(run.times[2] ?? NaN)}`
          const lines = fs.readFileSync(csv, 'utf8').trim().split('\n').length - 1
          if (lines !== orphans) throw new Error(`psql saved ${lines} rows, not ${orphans}`)
        }
        // Alternate which side goes first, so that neither always finds a warmer cache.
        for (const step of r % 2 === 0 ? [a, b] : [b, a]) await step()
        console.log(`  round ${r + 1}: (a) ${ms(ours[r])} | (b) ${ms(byHand[r])} | restore ${ms(restore[r])}`)
        console.log(`    phases: (a) ${ourPhases[r]} | (b) ${handPhases[r]}`)
      }
      if ((await countOrphans(db, c.rel)) !== orphans) throw new Error('the data did not come back as it was')
      const ratio = median(ours) / median(byHand)
      worst = Math.max(worst, ratio)
      console.log(`  medians: (a) fixOrphans ${ms(median(ours))} | (b) psql by hand ${ms(median(byHand))} | restore ${ms(median(restore))}`)
      console.log(`  ${ratio <= TARGET ? 'PASS' : 'FAIL'}: (a)/(b) = ${ratio.toFixed(2)} (target ≤ ${TARGET})`)
    }
    console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
    console.log(`${worst <= TARGET ? 'PASS' : 'FAIL'}: worst fix / by hand = ${worst.toFixed(2)} (target ≤ ${TARGET})`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
    await db.destroy()
    await bench.close()
  }
}

runBenchmark(main)
