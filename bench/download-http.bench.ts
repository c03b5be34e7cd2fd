/**
 * A 1 GiB backup downloaded over HTTP from the dashboard's own web server, against `cat FILE > /dev/null`
 * in the same run:
 *   npm run bench:download -- [--rounds 5] [--port 3990] [--cache warm|cold|both]
 * It starts the server exactly as `npm start` does (scripts/start.ts: the embedded cluster in a fresh
 * data directory, a production build when the sources changed, then scripts/web-server.ts), signs in
 * as the first admin through next-auth's credentials endpoint (a real session cookie), catalogues a
 * 1 GiB file in the server's backup directory, and has curl fetch /api/backups/<id>/download into
 * /dev/null. While it runs, the web server's RSS is sampled from /proc/<pid>/status every 5 ms (and
 * its VmHWM, reset before each download through clear_refs, catches a peak between samples).
 * Each round runs its sides in turn, each round starting with another: cat, the dashboard's download,
 * and as references the same curl from a bare node:http server piping the file (stream.pipeline,
 * 1 MiB reads; what any Node server costs, with no session, framework or web stream) and from a
 * python3 server using sendfile (no copy through the server at all: the floor of any HTTP server
 * here, when python3 is there), each in a process of its own. curl reads the socket 16 KiB at a
 * time, which a fast server makes the bottleneck, so the sendfile server and the dashboard are also
 * read by a python3 client that reads 8 MiB at a time (bench/download-references.ts): the fastest
 * HTTP download this machine can do, to say whether a target is reachable at all.
 * With the page cache warm every side reads the file from memory; cold, the file's pages are dropped
 * (dd iflag=nocache, this file only) before each side, which then reads it from disk.
 * Targets (issue 16): the server grows by less than 50 MB, and the download runs at least 0.9 of
 * the speed of reading the file. Always exits 0 unless it could not run.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { backupDirectory } from '../lib/backups/backup-files'
import { loadConfig } from '../lib/config'
import { createDb } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { prepareRuntime } from '../lib/runtime/prepare-runtime'
import { catalogueGibFile, GIB } from './backup-bench-kit'
import { median, runBenchmark } from './bench-kit'
import { BARE_SERVER, FAST_CLIENT, referenceServer, SENDFILE_SERVER } from './download-references'

const root = path.resolve(import.meta.dirname, '..')
const ADMIN = { email: 'bench-admin@bench.local', password: 'bench-admin-password-1' }
const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`
const s = (x: number) => `${(x / 1000).toFixed(2)} s`

function options(argv: string[]): { rounds: number; port: number; caches: ('warm' | 'cold')[] } {
  const o = { rounds: 5, port: 3990, caches: ['warm', 'cold'] as ('warm' | 'cold')[] }
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]]
    if (flag === '--rounds' && Number(value) > 0) o.rounds = Number(value)
    else if (flag === '--port' && Number(value) > 0) o.port = Number(value)
    else if (flag === '--cache' && ['warm', 'cold', 'both'].includes(value)) o.caches = value === 'both' ? ['warm', 'cold'] : [value as 'warm' | 'cold']
    else throw new Error(`usage: npm run bench:download -- [--rounds N] [--port P] [--cache warm|cold|both] (unknown or bad flag ${flag})`)
    i++
  }
  return o
}

/** A process's resident set and its peak since the last reset, in bytes. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

/** Resets a process's VmHWM to its current RSS (Linux clear_refs 5): each round's peak is its own. */
function resetPeak(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** The pid of the web server: start.ts's one child process (`node --import tsx scripts/web-server.ts`). */
function webServerPid(startPid: number): number {
  const children = fs.readFileSync(`/proc/${startPid}/task/${startPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  for (const pid of children) {
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('web-server.ts')) return pid
  }
  throw new Error(`no web-server.ts child under pid ${startPid} (children: ${children.join(', ') || 'none'})`)
}

async function waitForHealth(base: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`the dashboard exited (${server.exitCode}) before it answered`)
    try {
      if ((await fetch(`${base}/api/health`)).ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`the dashboard did not answer ${base}/api/health within ${timeoutMs / 1000} s`)
}

/** Signs in through next-auth's credentials endpoint as the login form does; returns the Cookie header of the session. */
async function signIn(base: string): Promise<string> {
  const jar = new Map<string, string>()
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const eq = pair.indexOf('=')
      jar.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
  }
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const csrf = await fetch(`${base}/api/auth/csrf`)
  keep(csrf)
  const { csrfToken } = (await csrf.json()) as { csrfToken: string }
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie(), origin: base },
    body: new URLSearchParams({ email: ADMIN.email, password: ADMIN.password, csrfToken, json: 'true', callbackUrl: '/overview' }),
  })
  keep(res)
  if (![...jar.keys()].some((k) => k.endsWith('next-auth.session-token'))) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`)
  return cookie()
}

/** Runs a command to its end; its stdout and its wall time. */
async function timed(cmd: string, args: string[]): Promise<{ out: string; ms: number }> {
  const t = performance.now()
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  const code = await new Promise<number | null>((r) => child.on('close', r))
  if (code !== 0) throw new Error(`${cmd} failed (${code}): ${err}`)
  return { out, ms: performance.now() - t }
}

/** The largest RSS growth of `pid` above its level at the start, sampled every `everyMs` while `run` runs. */
async function serverGrowth<T>(pid: number, run: () => Promise<T>, everyMs = 5): Promise<{ growth: number; hwmGrowth: number | null; value: T }> {
  const peakResettable = resetPeak(pid)
  const base = memory(pid).rss
  let peak = base
  const timer = setInterval(() => (peak = Math.max(peak, memory(pid).rss)), everyMs)
  try {
    const value = await run()
    const end = memory(pid)
    peak = Math.max(peak, end.rss)
    return { growth: peak - base, hwmGrowth: peakResettable ? end.hwm - base : null, value }
  } finally {
    clearInterval(timer)
  }
}

async function main(): Promise<void> {
  const { rounds, port, caches } = options(process.argv.slice(2))
  const base = `http://localhost:${port}`
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-download-bench-'))
  console.log(`HTTP download benchmark: ${rounds} rounds on port ${port}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  const log = fs.openSync(path.join(dataDir, 'server.log'), 'w')
  const server = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'start.ts')], {
    cwd: root,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      INTEGRITY_SCHEDULE_HOURS: '0',
      METRICS_SCHEDULE_CRON: 'off',
    },
  })
  let state: ReturnType<typeof createDb> | undefined
  try {
    await waitForHealth(base, server, 900_000)
    const pid = webServerPid(server.pid!)
    const runtime = await prepareRuntime(loadConfig({ DATA_DIR: dataDir }, { purpose: 'cli' }), { whenRunning: 'share', createFirstAdmin: false })
    state = createDb(runtime.stateUrl, { max: 1 })
    const targetDb = createDb(runtime.targetUrl, { max: 1 })
    const target = await targetIdentity(targetDb).finally(() => targetDb.destroy())
    const { path: file, id } = await catalogueGibFile(state, backupDirectory(dataDir), { key: target.key, database: target.database })
    const cookie = await signIn(base)
    const url = `${base}/api/backups/${id}/download`
    const curl = (dest = '/dev/null') => timed('curl', ['-sS', '--fail', '-o', dest, '-w', '%{http_code} %{size_download}', '-H', `cookie: ${cookie}`, url])
    const curlTo = (to: string) => timed('curl', ['-sS', '--fail', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', to])
    const fast = (to: string, withCookie: string) => {
      const u = new URL(to)
      return timed('python3', ['-c', FAST_CLIENT, u.hostname === 'localhost' ? '127.0.0.1' : u.hostname, u.port, u.pathname, withCookie])
    }

    // A first range of 10 MB loads the route's code and checks the bytes; then the first full
    // download of the server (the file read once before it, so both it and cat start from the page cache).
    const sample = path.join(dataDir, 'range.bin')
    const ranged = await serverGrowth(pid, () => timed('curl', ['-sS', '--fail', '-o', sample, '-w', '%{http_code}', '-r', '123456789-133456788', '-H', `cookie: ${cookie}`, url]))
    const fd = fs.openSync(file, 'r')
    const want = Buffer.alloc(10_000_000)
    fs.readSync(fd, want, 0, want.length, 123456789)
    fs.closeSync(fd)
    if (ranged.value.out !== '206' || !fs.readFileSync(sample).equals(want)) throw new Error('a range of the download is not the bytes of the file')
    await timed('/bin/sh', ['-c', 'exec cat "$0" > /dev/null', file])
    const first = await serverGrowth(pid, () => curl())
    if (first.value.out !== `200 ${GIB}`) throw new Error(`the first download answered "${first.value.out}", not "200 ${GIB}"`)
    const peak = (g: { growth: number; hwmGrowth: number | null }) => `${mb(g.growth)}${g.hwmGrowth === null ? '' : ` (VmHWM ${mb(g.hwmGrowth)})`}`
    console.log(`the route's first request (a 10 MB range; loads its code) grows the server by ${peak(ranged)}; the first full download then by ${peak(first)} in ${s(first.value.ms)}`)

    const bare = (await referenceServer(process.execPath, ['-e', BARE_SERVER, file]))!
    const zeroCopy = await referenceServer('python3', ['-c', SENDFILE_SERVER, file])
    if (!zeroCopy) console.log('(no python3: the sendfile reference is left out)')
    try {
      for (const cache of caches) {
        const dl: { growth: number; hwm: number | null; ms: number }[] = []
        const cat: number[] = []
        const raw: number[] = []
        const sf: number[] = []
        const sfFast: number[] = []
        const dlFast: number[] = []
        const evict = () => (cache === 'cold' ? timed('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']) : Promise.resolve())
        // A reference side: its time, once the answer is "200 <1 GiB>" (the 8 MiB client adds how the body was framed). Left out without python3.
        const reference = (into: number[], what: string, get: (() => Promise<{ out: string; ms: number }>) | null) => async () => {
          if (!get) return
          await evict()
          const got = await get()
          if (got.out.replace(/( (chunked|length))?\n?$/, '') !== `200 ${GIB}`) throw new Error(`${what} answered ${got.out}`)
          into.push(got.ms)
        }
        const sides = [
          async () => {
            await evict()
            cat.push((await timed('/bin/sh', ['-c', 'exec cat "$0" > /dev/null', file])).ms)
          },
          async () => {
            await evict()
            const { growth, hwmGrowth, value } = await serverGrowth(pid, () => curl())
            if (!value.out.startsWith(`200 ${GIB}`)) throw new Error(`download answered ${value.out}`)
            dl.push({ growth, hwm: hwmGrowth, ms: value.ms })
          },
          reference(raw, 'the bare server', () => curlTo(bare.url)),
          reference(sf, 'the sendfile server', zeroCopy && (() => curlTo(zeroCopy.url))),
          reference(sfFast, 'the sendfile server (8 MiB client)', zeroCopy && (() => fast(zeroCopy.url, ''))),
          reference(dlFast, 'the download (8 MiB client)', zeroCopy && (() => fast(url, cookie))),
        ]
        console.log(`\n${cache === 'warm' ? 'page cache warm: every side reads the file from memory' : 'page cache cold: the file is dropped from the page cache (dd iflag=nocache) before each side, which reads it from disk'}`)
        for (let r = 0; r < rounds; r++) {
          // Each round starts with another side, so that a load on the shared machine that comes and goes weighs on all alike.
          for (let k = 0; k < sides.length; k++) await sides[(r + k) % sides.length]()
          const d = dl[r]
          console.log(
            `  round ${r + 1}: server RSS grows ${mb(d.growth)}${d.hwm === null ? '' : ` (VmHWM ${mb(d.hwm)})`} during a ${s(d.ms)} download (${(GIB / 1e6 / (d.ms / 1000)).toFixed(0)} MB/s); cat ${s(cat[r])}: speed ratio ${(cat[r] / d.ms).toFixed(2)}; bare Node HTTP ${s(raw[r])}: ratio ${(raw[r] / d.ms).toFixed(2)}${zeroCopy ? `; sendfile HTTP ${s(sf[r])} (cat/sendfile ${(cat[r] / sf[r]).toFixed(2)}); with the 8 MiB client: sendfile ${s(sfFast[r])} (cat/that ${(cat[r] / sfFast[r]).toFixed(2)}), dashboard ${s(dlFast[r])} (cat/that ${(cat[r] / dlFast[r]).toFixed(2)})` : ''}; load ${os.loadavg()[0].toFixed(2)}`,
          )
        }
        const growths = dl.map((d) => Math.max(d.growth, d.hwm ?? 0))
        const speeds = dl.map((d, i) => cat[i] / d.ms)
        const vsBare = dl.map((d, i) => raw[i] / d.ms)
        console.log(
          `1 GiB over HTTP, page cache ${cache}: server RSS growth median ${mb(median(growths))}, worst ${mb(Math.max(...growths))} (target < 50 MB: ${Math.max(...growths) < 50e6 ? 'ok' : 'OVER'}); ` +
            `speed ratio (cat time / download time) median ${median(speeds).toFixed(2)}, worst ${Math.min(...speeds).toFixed(2)} (target >= 0.9: ${median(speeds) >= 0.9 ? 'ok' : 'UNDER'}); ` +
            `against a bare Node HTTP server's pipeline (bare time / download time) median ${median(vsBare).toFixed(2)}, worst ${Math.min(...vsBare).toFixed(2)}; ` +
            (zeroCopy
              ? `the sendfile floor itself runs at ${median(sf.map((t, i) => cat[i] / t)).toFixed(2)} of cat's speed (median); ` +
                `with the client reading 8 MiB at a time, the fastest HTTP download here (sendfile) runs at ${median(sfFast.map((t, i) => cat[i] / t)).toFixed(2)} of cat's speed and the dashboard's at ${median(dlFast.map((t, i) => cat[i] / t)).toFixed(2)} (medians); `
              : '') +
            `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
        )
      }
    } finally {
      await bare.close()
      await zeroCopy?.close()
    }
  } catch (e) {
    console.error(`the server's log ends:\n${fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8').split('\n').slice(-30).join('\n')}`)
    throw e
  } finally {
    await state?.destroy()
    if (server.exitCode === null) {
      server.kill('SIGTERM')
      await new Promise((r) => server.once('exit', r))
    }
    fs.closeSync(log)
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

runBenchmark(main)
