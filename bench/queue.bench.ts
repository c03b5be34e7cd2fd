/**
 * The job queue's overhead on an integrity run, measured alternately in the same run:
 *   npx tsx bench/queue.bench.ts [--scale 500] [--database-url URL] [--rounds 3]
 * (a) an integrity run called inline: its run row, then executeIntegrityRun, as the job's handler
 *     does it, vs (b) the same run queued through pg-boss (JobSystem.enqueue) and followed until its
 *     job row says succeeded, with the worker in this process as the web server has it.
 * Target: (b) ≤ (a) × 1.05 + 1 s. The job system's start (once per process) is printed apart.
 * Default database: dor_bench in the embedded cluster, seeded as bench/integrity.bench.ts does.
 * Always exits 0 unless it could not run: it measures, it does not test.
 */
import { performance } from 'node:perf_hooks'
import type { Kysely } from 'kysely'
import { createDb, describeUrl, withDatabase } from '../lib/db/connect'
import { restrictedReader } from '../lib/db/reader-login'
import { targetIdentity } from '../lib/db/target-identity'
import { executeIntegrityRun } from '../lib/integrity/run-job'
import { getIntegrityRun } from '../lib/integrity/run-store'
import { JobSystem } from '../lib/jobs/job-system'
import { waitForJob } from '../lib/jobs/wait-for-job'
import { dropDatabase, ensureDatabase } from '../lib/runtime/cluster-databases'
import { migrateStateDb } from '../lib/state/migrate-state'
import { median, ms, runBenchmark } from './bench-kit'
import { openBenchDatabase } from './bench-database'
import { dorBenchOptions, ensureSeeded, timed } from './dor-bench'

const TARGET_RATIO = 1.05
const TARGET_PLUS_MS = 1_000
const CHECK_TIMEOUT_MS = 300_000

async function main(): Promise<void> {
  const { scale, rounds, databaseUrl } = dorBenchOptions('queue.bench.ts')
  const bench = await openBenchDatabase('dor_bench', databaseUrl)
  const where = describeUrl(bench.url)
  console.log(`queue benchmark on ${where.database} at ${where.host}:${where.port}, scale ${scale}, ${rounds} rounds`)
  const db = createDb(bench.url, { max: 2, applicationName: 'dor-bench-queue' })
  const stateName = `${where.database}_queue_state`
  const stateUrl = withDatabase(bench.url, stateName)
  let state: Kysely<any> | undefined
  let jobs: JobSystem | undefined
  try {
    await ensureSeeded(db, scale)
    await dropDatabase(bench.url, stateName)
    await ensureDatabase(bench.url, stateName)
    state = createDb(stateUrl, { max: 4, applicationName: 'dor-bench-queue-state' })
    await migrateStateDb(state)
    const st = state
    const target = await targetIdentity(db)
    const reader = () => restrictedReader({ target: db, targetUrl: bench.url, state: st })
    const started = performance.now()
    const system = new JobSystem({
      stateUrl,
      services: {
        state: st,
        target,
        targetUrl: bench.url,
        migratorUrl: bench.url,
        targetDb: () => db,
        migratorDb: () => db,
        integrityDb: () => db,
        integrityWriterDb: () => db,
        maintenanceDb: () => db,
        ruleReader: reader,
        settings: { integrityCheckTimeoutMs: CHECK_TIMEOUT_MS, migrationLockTimeoutMs: 5_000, migrationStatementTimeoutMs: 900_000, pgBinDir: '/usr/lib/postgresql/15/bin', dataPath: '/tmp' },
      },
      work: true,
      supervise: true,
      log: (l) => console.error(l),
    })
    jobs = await system.start()
    const startMs = performance.now() - started

    // (a) what the job's handler does, without the queue.
    const inline = async () => {
      const row = await st
        .insertInto('integrity_run')
        .values({ target_database: target.database, target_key: target.key, status: 'queued', trigger: 'cli', started_by: 'bench' })
        .returning('id')
        .executeTakeFirstOrThrow()
      const status = await executeIntegrityRun(db, st, Number(row.id), { reader: reader(), ruleTimeoutMs: CHECK_TIMEOUT_MS })
      if (status !== 'succeeded') throw new Error(`the inline run ended ${status}`)
      return Number(row.id)
    }
    // (b) queued, taken by this process's worker, followed through its job row as the CLI's --wait does.
    const queued = async () => {
      const job = await system.enqueue('integrity.run', {}, { startedBy: 'bench', trigger: 'cli' })
      const done = await waitForJob(st, job.id, { timeoutMs: 30 * 60_000, everyMs: 50 })
      if (done.state !== 'succeeded') throw new Error(`the queued run ended ${done.state}: ${done.error ?? ''}`)
      return job.refId!
    }

    // Warm-up (untimed), and a check that both find the same.
    const [a0, b0] = [await inline(), await queued()]
    const [ra, rb] = [await getIntegrityRun(st, a0), await getIntegrityRun(st, b0)]
    console.log(`warm-up: inline ${ra?.checksDone} checks, ${ra?.problems} with findings | queued ${rb?.checksDone} checks, ${rb?.problems} with findings`)
    if (ra?.checksDone !== rb?.checksDone || ra?.problems !== rb?.problems) throw new Error('the inline and the queued run disagree')

    const t = { inline: [] as number[], queued: [] as number[] }
    for (let r = 0; r < rounds; r++) {
      const a = async () => t.inline.push((await timed(inline)).ms)
      const b = async () => t.queued.push((await timed(queued)).ms)
      // Alternate which side goes first, so that neither always finds a warmer cache.
      for (const step of r % 2 === 0 ? [a, b] : [b, a]) await step()
      console.log(`round ${r + 1}: (a) inline ${ms(t.inline[r])} | (b) queued ${ms(t.queued[r])}`)
    }
    const m = { inline: median(t.inline), queued: median(t.queued) }
    const limit = m.inline * TARGET_RATIO + TARGET_PLUS_MS
    console.log('\nmedians:')
    console.log(`  (a) integrity run inline                  ${ms(m.inline).padStart(9)}`)
    console.log(`  (b) the same run through the queue        ${ms(m.queued).padStart(9)}`)
    console.log(`  job system start (once per process)       ${ms(startMs).padStart(9)}`)
    console.log(`  overhead (b) - (a)                        ${ms(m.queued - m.inline).padStart(9)}  ratio ${(m.queued / m.inline).toFixed(3)}`)
    console.log(`${m.queued <= limit ? 'PASS' : 'FAIL'}: (b) ≤ (a) × ${TARGET_RATIO} + ${TARGET_PLUS_MS} ms = ${ms(limit)} (target)`)
  } finally {
    await jobs?.stop(10_000)
    await state?.destroy()
    await dropDatabase(bench.url, stateName).catch(() => {})
    await db.destroy()
    await bench.close()
  }
}

runBenchmark(main)
