import { spawn } from 'node:child_process'
import type { AlembicSettings } from './settings'

/** One run of the team's Alembic: what it printed (passwords masked) and how it ended. */
export interface AlembicProcessResult {
  ok: boolean
  exitCode: number | null
  /** The signal that ended it, when it was stopped. */
  signal: string | null
  stdout: string
  stderr: string
  timedOut: boolean
  /** Why it was stopped through the caller's AbortSignal, when it was. */
  cancelled: string | null
  /** It could not be started (program not found, folder missing). */
  startError: string | null
  durationMs: number
  /** The argument list as run: the database URL is never among the arguments. */
  argv: string[]
}

export interface AlembicProcessOptions {
  signal?: AbortSignal
  /** Defaults to the settings' timeout. */
  timeoutMs?: number
  /** application_name of Alembic's sessions (PGAPPNAME, which libpq reads): they can be found and cancelled. */
  applicationName?: string
  /** Called before the process is killed on timeout or abort: cancels its statements on the server. */
  onStop?: () => Promise<void>
  /** lock_timeout / statement_timeout of Alembic's sessions (PGOPTIONS, which libpq reads). */
  timeouts?: { lockTimeoutMs: number; statementTimeoutMs: number }
  /** Each complete line Alembic prints (stdout or stderr), password masked, as it comes: a job's progress. */
  onLine?: (line: string) => void
}

/** Enough for long offline SQL; the middle of anything larger is cut. */
const MAX_OUTPUT = 4 * 1024 * 1024
const KILL_GRACE_MS = 5_000

/**
 * Variables of the dashboard's own that Alembic must never see: other databases' URLs, the session
 * secret, the first admin's password. Everything else passes, so that an env.py reading its own
 * settings still finds them.
 */
const OWN_SECRETS = /^(DATABASE_URL|STATE_DATABASE_URL|RULE_READER_DATABASE_URL|AUTH_SECRET|NEXTAUTH_SECRET|ADMIN_PASSWORD|PGPASSWORD|DBADMIN_.*)$/

/** SQLAlchemy 1.4+ accepts only postgresql://; libpq accepts both. */
export function alembicDatabaseUrl(url: string): string {
  return url.replace(/^postgres:\/\//, 'postgresql://')
}

/** Masks the password (raw and URL-encoded) and any whole URL holding it. */
export function redactor(url: string): (text: string) => string {
  const u = new URL(url)
  const encoded = u.password
  const raw = decodeURIComponent(encoded)
  const secrets = [...new Set([url, alembicDatabaseUrl(url), encoded, raw].filter((s) => s.length >= 1))].sort((a, b) => b.length - a.length)
  return (text) => {
    let out = text
    for (const s of secrets) out = out.split(s).join(s.includes('://') ? '[DATABASE_URL]' : '***')
    return out
  }
}

function environment(targetUrl: string, opts: AlembicProcessOptions): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(process.env)) if (!OWN_SECRETS.test(k)) env[k] = v
  env.DATABASE_URL = alembicDatabaseUrl(targetUrl)
  if (opts.applicationName) env.PGAPPNAME = opts.applicationName
  if (opts.timeouts) {
    const own = `-c lock_timeout=${opts.timeouts.lockTimeoutMs} -c statement_timeout=${opts.timeouts.statementTimeoutMs}`
    env.PGOPTIONS = env.PGOPTIONS ? `${env.PGOPTIONS} ${own}` : own
  }
  // Python prints its output as it comes, not when a buffer fills: a stopped run still shows its last lines.
  env.PYTHONUNBUFFERED = '1'
  return env as NodeJS.ProcessEnv
}

class Capture {
  private chunks: string[] = []
  private size = 0
  private dropped = 0
  add(text: string) {
    this.chunks.push(text)
    this.size += text.length
    while (this.size > MAX_OUTPUT && this.chunks.length > 1) {
      const first = this.chunks.shift()!
      this.size -= first.length
      this.dropped += first.length
    }
  }
  text(): string {
    const body = this.chunks.join('')
    return this.dropped ? `[… ${this.dropped} characters cut …]\n${body}` : body
  }
}

/**
 * Runs ALEMBIC_COMMAND + `args` in ALEMBIC_DIR, without a shell. The target reaches Alembic only as
 * DATABASE_URL in its environment, never as an argument (which /proc/<pid>/cmdline and `ps` show to
 * every user of the machine). Output is captured with the password masked. A timeout or the
 * caller's AbortSignal first calls `onStop` (cancelling the run's statements on the server), then
 * ends the process group with SIGTERM and, after a grace period, SIGKILL.
 */
export function runAlembicProcess(
  settings: AlembicSettings,
  targetUrl: string,
  args: string[],
  opts: AlembicProcessOptions = {},
): Promise<AlembicProcessResult> {
  const [program, ...fixed] = settings.command
  const argv = [...fixed, ...args]
  const redact = redactor(targetUrl)
  const started = Date.now()
  const out = new Capture()
  const err = new Capture()
  return new Promise((resolve) => {
    let timedOut = false
    let cancelled: string | null = null
    let startError: string | null = null
    let stopping = false
    let killTimer: NodeJS.Timeout | undefined
    const child = spawn(program, argv, {
      cwd: settings.dir,
      env: environment(targetUrl, opts),
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      // Its own process group: a wrapper (ssh, a script) is stopped with everything it started.
      detached: true,
    })
    const lines = (capture: Capture) => {
      let partial = ''
      return (d: string) => {
        capture.add(d)
        if (!opts.onLine) return
        const parts = (partial + d).split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) if (line.trim()) opts.onLine(redact(line.trimEnd()))
      }
    }
    child.stdout!.setEncoding('utf8').on('data', lines(out))
    child.stderr!.setEncoding('utf8').on('data', lines(err))
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig)
      } catch {
        child.kill(sig)
      }
    }
    const stop = async () => {
      if (stopping) return
      stopping = true
      await opts.onStop?.().catch(() => {})
      killGroup('SIGTERM')
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS)
      killTimer.unref()
    }
    const timeoutMs = opts.timeoutMs ?? settings.timeoutMs
    const timer = setTimeout(() => {
      timedOut = true
      void stop()
    }, timeoutMs)
    const onAbort = () => {
      cancelled = typeof opts.signal?.reason === 'string' ? opts.signal.reason : 'the run was cancelled'
      void stop()
    }
    if (opts.signal?.aborted) onAbort()
    else opts.signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (e: NodeJS.ErrnoException) => {
      startError =
        e.code === 'ENOENT'
          ? `ALEMBIC_COMMAND's program "${program}" was not found, or ALEMBIC_DIR (${settings.dir}) does not exist`
          : `could not start ${program}: ${e.message}`
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (killTimer) clearTimeout(killTimer)
      opts.signal?.removeEventListener('abort', onAbort)
      const stderr = redact(err.text()) + (startError ? `${startError}\n` : '') + (timedOut ? `Stopped: it ran longer than ${timeoutMs} ms.\n` : '')
      resolve({
        ok: code === 0 && !startError && !timedOut && !cancelled,
        exitCode: code,
        signal,
        stdout: redact(out.text()),
        stderr,
        timedOut,
        cancelled,
        startError,
        durationMs: Date.now() - started,
        argv: [program, ...argv],
      })
    })
  })
}
