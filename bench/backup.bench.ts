/**
 * Backups at scale, each against the raw tool in the same run (alternating, medians):
 *   npx tsx bench/backup.bench.ts [--scale 500] [--database-url URL] [--rounds 3] [--only drill]
 * (a) raw pg_dump -Fc (default compression), -Fc -Z1, -Fd -j2 -Z1: times and sizes relative to -Fc,
 *     which is how the default settings were chosen;
 * (b) createBackup with the same settings as raw -Fc -Z1 (the default): target ≤ 1.1;
 * (c) restoreDrill vs raw pg_restore -j2 into a new database (plus createdb/dropdb): target ≤ 1.1;
 * (d) memory growth (RSS) while backing up and while streaming a 1 GiB file: target < 50 MB;
 * (e) openDownload's stream, read as a response writer reads it, vs reading the same file from disk: target ≥ 0.9.
 * --only drill runs (c) alone, on one backup made by createBackup.
 * Each comparison runs its two sides in alternating order, round by round, and prints each round.
 * Always exits 0 unless it could not run: it measures, it does not test.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { createBackup } from '../lib/backups/create-backup'
import { BACKUP_DEFAULTS } from '../lib/backups/defaults'
import { openDownload } from '../lib/backups/download'
import { type DrillResult, restoreDrill } from '../lib/backups/drill'
import { runTool } from '../lib/backups/tool-process'
import { createDb, describeUrl } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { dropDatabase } from '../lib/runtime/cluster-databases'
import { benchStateDb, catalogueGibFile, drain, rssGrowth } from './backup-bench-kit'
import { openBenchDatabase } from './bench-database'
import { cpuMeter, loadAverage } from './cpu-time'
import { inTurn, median, runBenchmark } from './bench-kit'
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

/**
 * ok or OVER by the time ratio, the target's measure; the CPU ratio is shown beside it because on a
 * shared machine a neighbour's load can move one round's time by half.
 */
function verdict(byTime: boolean, byCpu: boolean): string {
  return `${byTime ? 'ok' : 'OVER'}${byTime === byCpu ? '' : ` (by CPU time ${byCpu ? 'ok' : 'OVER'})`}`
}

async function main(): Promise<void> {
  const { scale, rounds, databaseUrl, only } = dorBenchOptions('backup.bench.ts', ['drill'])
  const bench = await openBenchDatabase('dor_bench', databaseUrl)
  const where = describeUrl(bench.url)
  console.log(`backup benchmark on ${where.database} at ${where.host}:${where.port}, scale ${scale}, ${rounds} rounds, ${os.cpus().length} cores`)
  const db = createDb(bench.url, { max: 1 })
  const stateName = `${where.database}_backup_state`
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-backup-bench-'))
  const dir = path.join(work, 'backups')
  let state: Awaited<ReturnType<typeof benchStateDb>> | undefined
  try {
    await ensureSeeded(db, scale)
    const { rows } = await sql<{ n: number }>`select pg_database_size(current_database()) as n`.execute(db)
    console.log(`database size ${mb(Number(rows[0].n))}`)
    state = await benchStateDb(bench.url, stateName, 2)
    const st = state.db

    // (a) + (b). The machine is shared: each round runs the four dumps back to back, in reverse
    // order every other round, so that a load that comes and goes weighs on all of them alike; the
    // ratio of (b) is the median of each round's own ratio.
    const times: Record<string, number[]> = { fc: [], fcz1: [], fdj2: [], ours: [] }
    // CPU seconds of each side (this process, its tools, the server's processes): what the work
    // costs, whatever the neighbours on a shared machine do to the wall time.
    const meter = await cpuMeter(db)
    const cpu: Record<string, number[]> = { fc: [], fcz1: [], fdj2: [], ours: [], drill: [], restore: [] }
    const measured = async (k: string, run: () => Promise<void>) => cpu[k].push((await meter.measure(run)).cpuMs)
    if (!meter.server) console.log('the server runs elsewhere: CPU times count this process and its tools only')
    const sizes: Record<string, number> = {}
    const phases: Record<string, number>[] = []
    let oursMem = 0
    let lastId = ''
    const dumps: Record<string, () => Promise<void>> = {
      async fc() {
        const f = path.join(work, 'raw.dump')
        times.fc.push(await raw('pg_dump', ['-Fc', `--file=${f}`], bench.url))
        sizes.fc = fs.statSync(f).size
        fs.rmSync(f)
      },
      async fcz1() {
        const f = path.join(work, 'raw-z1.dump')
        times.fcz1.push(await raw('pg_dump', ['-Fc', '-Z1', `--file=${f}`], bench.url))
        sizes.fcz1 = fs.statSync(f).size
        fs.rmSync(f)
      },
      async fdj2() {
        const f = path.join(work, 'raw-dir')
        times.fdj2.push(await raw('pg_dump', ['-Fd', '-j2', '-Z1', `--file=${f}`], bench.url))
        sizes.fdj2 = fs.readdirSync(f).reduce((n, x) => n + fs.statSync(path.join(f, x)).size, 0)
        fs.rmSync(f, { recursive: true })
      },
      async ours() {
        const t = performance.now()
        const marks: Record<string, number> = {}
        const { growth, value } = await rssGrowth(() =>
          createBackup(st, { targetUrl: bench.url, dir, pgBinDir: BIN, createdBy: 'bench', onProgress: (p) => (marks[p.phase] ??= performance.now() - t) }),
        )
        times.ours.push(performance.now() - t)
        phases.push({ ...marks, end: performance.now() - t })
        oursMem = Math.max(oursMem, growth)
        sizes.ours = value.sizeBytes
        if (lastId) fs.rmSync(path.join(dir, (await st.selectFrom('backup').select('file').where('id', '=', lastId).executeTakeFirstOrThrow()).file))
        lastId = value.id
      },
    }
    if (only === 'drill') await dumps.ours()
    else {
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? ['fc', 'fcz1', 'fdj2', 'ours'] : ['ours', 'fdj2', 'fcz1', 'fc']
        for (const k of order) await measured(k, dumps[k])
        console.log(`  round ${r + 1} (load ${loadAverage()}): ${order.map((k) => `${k} ${s(times[k][r])} (CPU ${s(cpu[k][r])})`).join(', ')}`)
      }
      const fcCpu = median(cpu.fc)
      console.log('\n(a) raw pg_dump settings, relative to plain -Fc (the default is chosen by these; target: faster than -Fc):')
      for (const [k, label] of [['fc', '-Fc (gzip 6)'], ['fcz1', '-Fc -Z1'], ['fdj2', '-Fd -j2 -Z1']] as const) {
        const ratio = median(times[k].map((t, i) => t / times.fc[i]))
        console.log(
          `  ${label.padEnd(14)} ${s(median(times[k])).padStart(9)}  time ${ratio.toFixed(2)}  CPU ${s(median(cpu[k]))} (${(median(cpu[k]) / fcCpu).toFixed(2)})  size ${mb(sizes[k]).padStart(9)} (${(sizes[k] / sizes.fc).toFixed(2)})`,
        )
      }
      const defaultRatio = median(times.ours.map((t, i) => t / times.fc[i]))
      const defaultCpu = median(cpu.ours.map((c, i) => c / cpu.fc[i]))
      console.log(
        `  the default (createBackup as it is called: ${BACKUP_DEFAULTS.format}, -Z${BACKUP_DEFAULTS.compression}) vs plain -Fc: time ${defaultRatio.toFixed(2)}, CPU ${defaultCpu.toFixed(2)} (target < 1) ${verdict(defaultRatio < 1, defaultCpu < 1)}`,
      )
      const oursRatio = median(times.ours.map((t, i) => t / times.fcz1[i]))
      const oursCpu = median(cpu.ours.map((c, i) => c / cpu.fcz1[i]))
      const ph = phases[times.ours.indexOf([...times.ours].sort((a, b) => a - b)[Math.floor(times.ours.length / 2)])]
      console.log(
        `\n(b) createBackup (custom, -Z1, row counts in its snapshot, SHA-256, fsync) ${s(median(times.ours))} vs raw -Fc -Z1 ${s(median(times.fcz1))}: time ratio ${oursRatio.toFixed(2)} (rounds ${times.ours.map((t, i) => (t / times.fcz1[i]).toFixed(2)).join(', ')}), CPU ratio ${oursCpu.toFixed(2)} (rounds ${cpu.ours.map((c, i) => (c / cpu.fcz1[i]).toFixed(2)).join(', ')}); target ≤ 1.1 ${verdict(oursRatio <= 1.1, oursCpu <= 1.1)}`,
      )
      console.log(`    its median round: setup ${s(ph.dumping)}, pg_dump ${s(ph.finishing - ph.dumping)}, checksum + fsync + catalogue ${s(ph.end - ph.finishing)}`)
    }

    // (c), in alternating order too.
    const drill: number[] = []
    const rawRestore: number[] = []
    const file = path.join(dir, (await st.selectFrom('backup').select('file').where('id', '=', lastId).executeTakeFirstOrThrow()).file)
    let lastDrill: DrillResult | undefined
    const drillRestoreCpu: number[] = []
    for (let r = 0; r < rounds; r++) {
      const rawSide = async () => {
        const name = `bench_restore_${r}`
        const t = performance.now()
        await measured('restore', async () => {
          await sql`create database ${sql.id(name)} template template0`.execute(db)
          await raw('pg_restore', ['-j2', `--dbname=${name}`, file], bench.url)
          await dropDatabase(bench.url, name)
        })
        rawRestore.push(performance.now() - t)
      }
      const drillSide = async () => {
        const t = performance.now()
        let d: DrillResult | undefined
        const cpuStart = meter.now()
        const onProgress = (p: { phase: string }) => void (p.phase === 'checking' && drillRestoreCpu.push(meter.now() - cpuStart))
        await measured('drill', async () => void (d = await restoreDrill(st, lastId, { targetUrl: bench.url, dir, pgBinDir: BIN, onProgress })))
        drill.push(performance.now() - t)
        lastDrill = d!
        if (!lastDrill.ok) console.log(`  drill problems: ${lastDrill.problems.join('; ')}`)
      }
      await inTurn(r, rawSide, drillSide)
      console.log(
        `  round ${r + 1} (load ${loadAverage()}): pg_restore -j2 ${s(rawRestore[r])} (CPU ${s(cpu.restore[r])}), drill ${s(drill[r])} (CPU ${s(cpu.drill[r])}; restore ${s(lastDrill!.restoreMs)} CPU ${s(drillRestoreCpu[r])}, checks after it ${s(lastDrill!.checkMs)} CPU ${s(cpu.drill[r] - drillRestoreCpu[r])}; ${lastDrill!.orphans.filter((o) => o.early).length} orphan scans during the restore)`,
      )
    }
    const drillRatio = median(drill.map((t, i) => t / rawRestore[i]))
    const drillCpu = median(cpu.drill.map((c, i) => c / cpu.restore[i]))
    console.log(
      `\n(c) restoreDrill ${s(median(drill))} vs createdb + pg_restore -j2 + dropdb ${s(median(rawRestore))}: time ratio ${drillRatio.toFixed(2)} (rounds ${drill.map((t, i) => (t / rawRestore[i]).toFixed(2)).join(', ')}), CPU ratio ${drillCpu.toFixed(2)} (rounds ${cpu.drill.map((c, i) => (c / cpu.restore[i]).toFixed(2)).join(', ')}); target ≤ 1.1 ${verdict(drillRatio <= 1.1, drillCpu <= 1.1)}`,
    )

    if (only !== 'drill') {
      // (d) + (e): a 1 GiB file in the catalogue, streamed as a download.
      const targetKey = (await targetIdentity(db)).key
      const { path: bigPath, id } = await catalogueGibFile(st, dir, { key: targetKey, database: where.database })
      const streamMs: number[] = []
      const diskMs: number[] = []
      let streamMem = 0
      let diskMem = 0
      // A second or so each: more rounds, alternating which goes first.
      for (let r = 0; r < Math.max(rounds, 9); r++) {
        const fromDisk = async () => {
          const t = performance.now()
          const { growth, value } = await rssGrowth(async () => {
            let n = 0
            for await (const c of fs.createReadStream(bigPath, { highWaterMark: 1 << 20 })) n += (c as Buffer).length
            return n
          })
          diskMs.push(performance.now() - t)
          diskMem = Math.max(diskMem, growth)
          return value
        }
        const streamed = async () => {
          const t = performance.now()
          const { growth, value } = await rssGrowth(async () => drain((await openDownload(st, dir, { targetKey, id })).body!))
          streamMs.push(performance.now() - t)
          streamMem = Math.max(streamMem, growth)
          return value
        }
        const [a, b] = r % 2 === 0 ? [await fromDisk(), await streamed()] : [await streamed(), await fromDisk()]
        if (a !== b || a !== 1 << 30) throw new Error(`streamed and read ${a} and ${b} bytes of ${1 << 30}`)
      }
      const speed = median(diskMs) / median(streamMs)
      console.log(`\n(d) memory growth (peak RSS): backing up ${mb(oursMem)}, streaming 1 GiB ${mb(streamMem)} (target < 50 MB) ${oursMem < 50e6 && streamMem < 50e6 ? 'ok' : 'OVER'}; reading the file alone ${mb(diskMem)}`)
      console.log(`(e) download stream ${s(median(streamMs))} (${(1024 / (median(streamMs) / 1000)).toFixed(0)} MiB/s) vs reading the file ${s(median(diskMs))}: speed ratio ${speed.toFixed(2)} (target ≥ 0.9) ${speed >= 0.9 ? 'ok' : 'UNDER'}`)
    }
  } finally {
    await state?.drop()
    await db.destroy()
    fs.rmSync(work, { recursive: true, force: true })
    await bench.close()
  }
}

runBenchmark(main)
