/**
 * Backups at scale, each against the raw tool in the same run (alternating, medians):
 *   npx tsx bench/backup.bench.ts [--scale 500] [--database-url URL] [--rounds 3]
 * (a) raw pg_dump -Fc (default compression), -Fc -Z1, -Fd -j2 -Z1: times and sizes relative to -Fc,
 *     which is how the default settings were chosen;
 * (b) createBackup with the same settings as raw -Fc -Z1 (the default): target ≤ 1.1;
 * (c) restoreDrill vs raw pg_restore -j2 into a new database (plus createdb/dropdb): target ≤ 1.1;
 * (d) memory growth (RSS) while backing up and while streaming a 1 GiB file: target < 50 MB;
 * (e) openDownload's stream vs reading the same file from disk: target ≥ 0.9.
 * Always exits 0 unless it could not run: it measures, it does not test.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import { type Kysely, sql } from 'kysely'
import { createBackup } from '../lib/backups/create-backup'
import { openDownload } from '../lib/backups/download'
import { restoreDrill } from '../lib/backups/drill'
import { insertUploadedBackup } from '../lib/backups/catalogue'
import { runTool } from '../lib/backups/tool-process'
import { createDb, describeUrl, withDatabase } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { dropDatabase, ensureDatabase } from '../lib/runtime/cluster-databases'
import { migrateStateDb } from '../lib/state/migrate-state'
import { openBenchDatabase } from './bench-database'
import { median, runBenchmark } from './bench-kit'
import { dorBenchOptions, ensureSeeded } from './dor-bench'

const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'
const s = (x: number) => `${(x / 1000).toFixed(2)} s`
const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`

async function raw(tool: string, args: string[], url: string): Promise<number> {
  const t = performance.now()
  const exit = await runTool(path.join(BIN, tool), args, { url })
  if (exit.code !== 0) throw new Error(`${tool} failed: ${exit.stderr}`)
  return performance.now() - t
}

/** Peak RSS growth above the level at the start, sampled every 20 ms while `run` runs. */
async function rssGrowth<T>(run: () => Promise<T>): Promise<{ growth: number; value: T }> {
  global.gc?.()
  const base = process.memoryUsage().rss
  let peak = base
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  try {
    const value = await run()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { growth: peak - base, value }
  } finally {
    clearInterval(timer)
  }
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0
  for await (const c of Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>)) n += (c as Buffer).length
  return n
}

async function main(): Promise<void> {
  const { scale, rounds, databaseUrl } = dorBenchOptions('backup.bench.ts')
  const bench = await openBenchDatabase('dor_bench', databaseUrl)
  const where = describeUrl(bench.url)
  console.log(`backup benchmark on ${where.database} at ${where.host}:${where.port}, scale ${scale}, ${rounds} rounds, ${os.cpus().length} cores`)
  const db = createDb(bench.url, { max: 1 })
  const stateName = `${where.database}_backup_state`
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-backup-bench-'))
  const dir = path.join(work, 'backups')
  let state: Kysely<any> | undefined
  try {
    await ensureSeeded(db, scale)
    const { rows } = await sql<{ n: number }>`select pg_database_size(current_database()) as n`.execute(db)
    console.log(`database size ${mb(Number(rows[0].n))}`)
    await dropDatabase(bench.url, stateName)
    await ensureDatabase(bench.url, stateName)
    state = createDb(withDatabase(bench.url, stateName), { max: 2 })
    await migrateStateDb(state)
    const st = state

    // (a) + (b)
    const times: Record<string, number[]> = { fc: [], fcz1: [], fdj2: [], ours: [] }
    const sizes: Record<string, number> = {}
    let oursMem = 0
    let lastId = ''
    for (let r = 0; r < rounds; r++) {
      const fc = path.join(work, 'raw.dump')
      times.fc.push(await raw('pg_dump', ['-Fc', `--file=${fc}`], bench.url))
      sizes.fc = fs.statSync(fc).size
      fs.rmSync(fc)
      const z1 = path.join(work, 'raw-z1.dump')
      times.fcz1.push(await raw('pg_dump', ['-Fc', '-Z1', `--file=${z1}`], bench.url))
      sizes.fcz1 = fs.statSync(z1).size
      fs.rmSync(z1)
      const fd = path.join(work, 'raw-dir')
      times.fdj2.push(await raw('pg_dump', ['-Fd', '-j2', '-Z1', `--file=${fd}`], bench.url))
      sizes.fdj2 = fs.readdirSync(fd).reduce((n, f) => n + fs.statSync(path.join(fd, f)).size, 0)
      fs.rmSync(fd, { recursive: true })
      const t = performance.now()
      const { growth, value } = await rssGrowth(() => createBackup(st, { targetUrl: bench.url, dir, pgBinDir: BIN, createdBy: 'bench' }))
      times.ours.push(performance.now() - t)
      oursMem = Math.max(oursMem, growth)
      sizes.ours = value.sizeBytes
      if (lastId) fs.rmSync(path.join(dir, (await st.selectFrom('backup').select('file').where('id', '=', lastId).executeTakeFirstOrThrow()).file))
      lastId = value.id
    }
    const fc = median(times.fc)
    console.log('\n(a) raw pg_dump settings, relative to plain -Fc:')
    for (const [k, label] of [['fc', '-Fc (gzip 6)'], ['fcz1', '-Fc -Z1'], ['fdj2', '-Fd -j2 -Z1']] as const) {
      console.log(`  ${label.padEnd(14)} ${s(median(times[k])).padStart(9)}  time ${(median(times[k]) / fc).toFixed(2)}  size ${mb(sizes[k]).padStart(9)} (${(sizes[k] / sizes.fc).toFixed(2)})`)
    }
    const oursRatio = median(times.ours) / median(times.fcz1)
    console.log(`\n(b) createBackup (custom, -Z1, row counts in its snapshot, SHA-256, fsync) ${s(median(times.ours))} vs raw -Fc -Z1 ${s(median(times.fcz1))}: ratio ${oursRatio.toFixed(2)} (target ≤ 1.1) ${oursRatio <= 1.1 ? 'ok' : 'OVER'}`)
    console.log(`    and vs plain -Fc: ${(median(times.ours) / fc).toFixed(2)}`)

    // (c)
    const drill: number[] = []
    const rawRestore: number[] = []
    const file = path.join(dir, (await st.selectFrom('backup').select('file').where('id', '=', lastId).executeTakeFirstOrThrow()).file)
    let lastDrill
    for (let r = 0; r < rounds; r++) {
      const name = `bench_restore_${r}`
      const t = performance.now()
      await sql`create database ${sql.id(name)} template template0`.execute(db)
      await raw('pg_restore', ['-j2', `--dbname=${name}`, file], bench.url)
      await dropDatabase(bench.url, name)
      rawRestore.push(performance.now() - t)
      const t2 = performance.now()
      lastDrill = await restoreDrill(st, lastId, { targetUrl: bench.url, dir, pgBinDir: BIN })
      drill.push(performance.now() - t2)
      if (!lastDrill.ok) console.log(`  drill problems: ${lastDrill.problems.join('; ')}`)
    }
    const drillRatio = median(drill) / median(rawRestore)
    console.log(`\n(c) restoreDrill ${s(median(drill))} (restore ${s(lastDrill!.restoreMs)}, counts and orphan checks ${s(lastDrill!.checkMs)}) vs createdb + pg_restore -j2 + dropdb ${s(median(rawRestore))}: ratio ${drillRatio.toFixed(2)} (target ≤ 1.1) ${drillRatio <= 1.1 ? 'ok' : 'OVER'}`)

    // (d) + (e): a 1 GiB file in the catalogue, streamed as a download.
    const big = 'bench-1gib.dump'
    const bigPath = path.join(dir, big)
    const block = Buffer.alloc(1 << 20)
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i)
    const fd = fs.openSync(bigPath, 'w', 0o600)
    for (let i = 0; i < 1024; i++) fs.writeSync(fd, block)
    fs.closeSync(fd)
    const targetKey = (await targetIdentity(db)).key
    const id = await insertUploadedBackup(st, { targetKey, targetDatabase: where.database, kind: 'full', format: 'custom', file: big, createdBy: 'bench', sizeBytes: 1 << 30, sha256: '-', toolVersion: '15' })
    const streamMs: number[] = []
    const diskMs: number[] = []
    let streamMem = 0
    for (let r = 0; r < rounds; r++) {
      let t = performance.now()
      let n = 0
      for await (const c of fs.createReadStream(bigPath, { highWaterMark: 1 << 20 })) n += (c as Buffer).length
      diskMs.push(performance.now() - t)
      t = performance.now()
      const { growth, value } = await rssGrowth(async () => drain((await openDownload(st, dir, { targetKey, id })).body!))
      streamMs.push(performance.now() - t)
      streamMem = Math.max(streamMem, growth)
      if (value !== n) throw new Error(`streamed ${value} bytes of ${n}`)
    }
    const speed = median(diskMs) / median(streamMs)
    console.log(`\n(d) memory growth (peak RSS): backing up ${mb(oursMem)}, streaming 1 GiB ${mb(streamMem)} (target < 50 MB) ${oursMem < 50e6 && streamMem < 50e6 ? 'ok' : 'OVER'}`)
    console.log(`(e) download stream ${s(median(streamMs))} (${(1024 / (median(streamMs) / 1000)).toFixed(0)} MiB/s) vs reading the file ${s(median(diskMs))}: speed ratio ${speed.toFixed(2)} (target ≥ 0.9) ${speed >= 0.9 ? 'ok' : 'UNDER'}`)
  } finally {
    await state?.destroy()
    await db.destroy()
    await dropDatabase(bench.url, stateName).catch(() => {})
    fs.rmSync(work, { recursive: true, force: true })
    await bench.close()
  }
}

runBenchmark(main)
