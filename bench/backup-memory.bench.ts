/**
 * Memory of backups and downloads as ratios against the raw tools, in the same run:
 *   npx tsx --expose-gc bench/backup-memory.bench.ts [--scale 500] [--database-url URL] [--rounds 3]
 * (a) a full backup run as the dashboard runs it (the backup.full job kind on pg-boss, in this
 *     process): this process's peak RSS growth beside the peak RSS of raw `pg_dump -Fc -Z1` (the
 *     same settings), measured by GNU time;
 * (b) a 1 GiB backup file downloaded through openDownload in ranges of 256 MiB (as a resumed download
 *     asks for it), read as a response writer reads it (a default reader: a fresh chunk per read)
 *     and as the CLI's download reads it (a BYOB reader into one buffer, written to /dev/null): this
 *     process's peak RSS growth beside the peak RSS of `cat FILE > /dev/null`, and the time beside cat's.
 * (b) is the stream alone, in this process; bench/download-http.bench.ts (npm run bench:download)
 * measures the download as served: over HTTP from the web server npm start runs, its RSS from /proc.
 * The ratios are medians of each round's own ratio. The target the issue sets: the dashboard grows by
 * less than 50 MB while it backs up and while it streams 1 GB. Always exits 0 unless it could not run.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { openDownload, writeStreamTo } from '../lib/backups/download'
import { createDb, describeUrl } from '../lib/db/connect'
import { restrictedReader } from '../lib/db/reader-login'
import { targetIdentity } from '../lib/db/target-identity'
import type { JobServices } from '../lib/jobs/job-kind'
import { JobSystem } from '../lib/jobs/job-system'
import { waitForJob } from '../lib/jobs/wait-for-job'
import { benchStateDb, catalogueGibFile, drain, GIB, rssGrowth } from './backup-bench-kit'
import { openBenchDatabase } from './bench-database'
import { inTurn, median, runBenchmark } from './bench-kit'
import { dorBenchOptions, ensureSeeded } from './dor-bench'

const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'
const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`
const s = (x: number) => `${(x / 1000).toFixed(2)} s`
const RANGE = 256 << 20

/** A command's peak RSS (bytes) and time, from GNU time; the password goes by environment, not argument. */
async function rawPeak(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ rss: number; ms: number }> {
  const t = performance.now()
  const child = spawn('/usr/bin/time', ['-f', 'maxrss=%M', cmd, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  const code = await new Promise<number | null>((r) => child.on('close', r))
  const m = /maxrss=(\d+)/.exec(err)
  if (code !== 0 || !m) throw new Error(`${cmd} failed (${code}): ${err}`)
  return { rss: Number(m[1]) * 1024, ms: performance.now() - t }
}

function pgEnv(url: string): { url: string; env: Record<string, string> } {
  const u = new URL(url)
  const password = decodeURIComponent(u.password)
  u.password = ''
  return { url: u.toString(), env: password ? { PGPASSWORD: password } : {} }
}

async function main(): Promise<void> {
  const { scale, rounds, databaseUrl } = dorBenchOptions('backup-memory.bench.ts')
  const bench = await openBenchDatabase('dor_bench', databaseUrl)
  const where = describeUrl(bench.url)
  console.log(`backup memory benchmark on ${where.database}, scale ${scale}, ${rounds} rounds, ${os.cpus().length} cores${global.gc ? '' : ' (run with --expose-gc for steadier numbers)'}`)
  const db = createDb(bench.url, { max: 2 })
  const stateName = `${where.database}_memory_state`
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-backup-memory-'))
  let state: Awaited<ReturnType<typeof benchStateDb>> | undefined
  let jobs: JobSystem | undefined
  try {
    await ensureSeeded(db, scale)
    const { rows } = await sql<{ n: number }>`select pg_database_size(current_database()) as n`.execute(db)
    console.log(`database size ${mb(Number(rows[0].n))}`)
    state = await benchStateDb(bench.url, stateName, 4)
    const st = state.db
    const stateUrl = state.url
    const target = await targetIdentity(db)
    const services: JobServices = {
      state: st,
      target,
      targetUrl: bench.url,
      migratorUrl: bench.url,
      targetDb: () => db,
      migratorDb: () => db,
      integrityDb: () => db,
      integrityWriterDb: () => db,
      maintenanceDb: () => db,
      ruleReader: () => restrictedReader({ target: db, targetUrl: bench.url, state: st }),
      settings: { integrityCheckTimeoutMs: 600_000, migrationLockTimeoutMs: 5_000, migrationStatementTimeoutMs: 600_000, pgBinDir: BIN, dataPath: work },
    }
    jobs = await new JobSystem({ stateUrl, services, work: true, workKinds: ['backup.full'], supervise: false, log: () => {} }).start()
    const system = jobs
    const dir = path.join(work, 'backups')

    // (a)
    const raw = pgEnv(bench.url)
    const ours: number[] = []
    const rawRss: number[] = []
    const times: { ours: number[]; raw: number[] } = { ours: [], raw: [] }
    for (let r = 0; r < rounds; r++) {
      const rawSide = async () => {
        const f = path.join(work, 'raw.dump')
        const p = await rawPeak(path.join(BIN, 'pg_dump'), ['-Fc', '-Z1', `--file=${f}`, `--dbname=${raw.url}`], raw.env)
        rawRss.push(p.rss)
        times.raw.push(p.ms)
        fs.rmSync(f)
      }
      const ourSide = async () => {
        const { growth, ms } = await rssGrowth(async () => {
          const job = await system.enqueue('backup.full', {}, { startedBy: 'bench', trigger: 'manual' })
          const done = await waitForJob(st, job.id, { timeoutMs: 3_600_000, everyMs: 100 })
          if (done.state !== 'succeeded') throw new Error(`the backup job ended ${done.state}: ${done.error}`)
          fs.rmSync(path.join(dir, (done.result as { file: string }).file))
        })
        ours.push(growth)
        times.ours.push(ms)
      }
      await inTurn(r, rawSide, ourSide)
      console.log(`  round ${r + 1}: backup job grows this process by ${mb(ours[r])} in ${s(times.ours[r])}; raw pg_dump -Fc -Z1 peaks at ${mb(rawRss[r])} in ${s(times.raw[r])}`)
    }
    const backupRatio = median(ours.map((g, i) => g / rawRss[i]))
    console.log(
      `\n(a) backup: dashboard growth ${mb(median(ours))} vs raw pg_dump's own peak RSS ${mb(median(rawRss))}: ratio ${backupRatio.toFixed(2)}; time ratio ${median(times.ours.map((t, i) => t / times.raw[i])).toFixed(2)}; growth target < 50 MB ${median(ours) < 50e6 ? 'ok' : 'OVER'}`,
    )

    // (b)
    const { path: bigPath, id } = await catalogueGibFile(st, dir, { key: target.key, database: where.database })
    const readers = {
      response: async (body: ReadableStream<Uint8Array>) => drain(body),
      cli: async (body: ReadableStream<Uint8Array>) => {
        const fd = fs.openSync('/dev/null', 'w')
        try {
          return await writeStreamTo(body, fd)
        } finally {
          fs.closeSync(fd)
        }
      },
    }
    for (const [reader, read] of Object.entries(readers)) {
      const dl: number[] = []
      const cat: number[] = []
      const dlMs: number[] = []
      const catMs: number[] = []
      for (let r = 0; r < Math.max(rounds, 5); r++) {
        const catSide = async () => {
          const p = await rawPeak('/bin/sh', ['-c', 'exec cat "$0" > /dev/null', bigPath])
          cat.push(p.rss)
          catMs.push(p.ms)
        }
        const ourSide = async () => {
          const { growth, ms, value } = await rssGrowth(async () => {
            let n = 0
            for (let start = 0; start < GIB; start += RANGE) {
              const d = await openDownload(st, dir, { targetKey: target.key, id, range: `bytes=${start}-${start + RANGE - 1}` })
              if (d.status !== 206) throw new Error(`range answered ${d.status}`)
              n += await read(d.body!)
            }
            return n
          })
          if (value !== GIB) throw new Error(`downloaded ${value} bytes of ${GIB}`)
          dl.push(growth)
          dlMs.push(ms)
        }
        await inTurn(r, catSide, ourSide)
        console.log(`  round ${r + 1}: ranged download (${reader} reader) grows this process by ${mb(dl[r])} in ${s(dlMs[r])}; cat peaks at ${mb(cat[r])} in ${s(catMs[r])}`)
      }
      console.log(
        `\n(b) 1 GiB download in 256 MiB ranges, ${reader} reader: dashboard growth ${mb(median(dl))} (max ${mb(Math.max(...dl))}) vs cat's own peak RSS ${mb(median(cat))}: ratio ${median(dl.map((g, i) => g / cat[i])).toFixed(2)}; speed ratio (cat time / download time) ${median(catMs.map((t, i) => t / dlMs[i])).toFixed(2)}; growth target < 50 MB ${Math.max(...dl) < 50e6 ? 'ok' : 'OVER'}\n`,
      )
    }
  } finally {
    await jobs?.stop(10_000)
    await state?.drop()
    await db.destroy()
    fs.rmSync(work, { recursive: true, force: true })
    await bench.close()
  }
}

runBenchmark(main)
