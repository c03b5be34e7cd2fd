import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pgToolEnv } from '../db/pg-tool-env'
import { redactUrls } from '../redact-urls'

/** What a finished pg_dump, pg_restore or psql left: exit code or signal, and the end of its stderr. */
export interface ToolExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** The last 64 KiB of stderr, the password (if any) masked. */
  stderr: string
}

export interface ToolOptions {
  /** Connection of the tool; its password goes to a temporary 0600 passfile, never argv or env. */
  url?: string
  signal?: AbortSignal
  /** 'pipe' to write to the tool's stdin (the caller pipes into child.stdin). */
  stdin?: 'ignore' | 'pipe'
  stdout?: 'ignore' | 'pipe'
  onStderrLine?: (line: string) => void
}

export interface RunningTool {
  child: ChildProcess
  /** Resolves when the process has exited and its passfile is gone; never rejects for a bad exit. */
  exit: Promise<ToolExit>
}

const STDERR_KEEP = 64 * 1024
const KILL_GRACE_MS = 5_000

/** A passfile line matching any host, port and database: it is this one process's file. */
export function passfileLine(user: string, password: string): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/:/g, '\\:')
  return `*:*:*:${esc(user)}:${esc(password)}\n`
}

/** Replaces the password wherever it might appear in a tool's message (a connection string in an error). */
export function maskSecret(text: string, secret: string): string {
  if (!secret) return text
  return redactUrls(text.split(secret).join('***'), '[connection string]')
}

/**
 * Starts a PostgreSQL client tool with arguments as an array (no shell), in a process group of
 * its own so that cancelling stops pg_dump's parallel workers too. The password is written to a
 * passfile in a fresh 0700 directory and removed when the tool exits.
 */
export function startTool(bin: string, args: string[], opts: ToolOptions): RunningTool {
  const env = { ...(opts.url ? pgToolEnv(opts.url) : { PATH: process.env.PATH }), LC_MESSAGES: 'C' } as NodeJS.ProcessEnv
  // From the URL's userinfo or its ?password= (pgToolEnv reads both), for the user the tool logs in as (any, when the URL names none).
  const password = env.PGPASSWORD ?? ''
  delete env.PGPASSWORD
  let passDir: string | undefined
  if (password) {
    passDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-pg-'))
    const passfile = path.join(passDir, 'pgpass')
    fs.writeFileSync(passfile, passfileLine(env.PGUSER || '*', password), { mode: 0o600, flag: 'wx' })
    env.PGPASSFILE = passfile
  }
  const cleanup = () => {
    if (passDir) fs.rmSync(passDir, { recursive: true, force: true })
    passDir = undefined
  }
  let child: ChildProcess
  try {
    child = spawn(bin, args, { env, detached: true, stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'ignore', 'pipe'] })
  } catch (e) {
    cleanup()
    throw e
  }
  let stderr = ''
  let partial = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-STDERR_KEEP)
    if (!opts.onStderrLine) return
    const lines = (partial + d).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) opts.onStderrLine(line)
  })
  let killTimer: NodeJS.Timeout | undefined
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    signalGroup(child, 'SIGTERM')
    killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_GRACE_MS)
    killTimer.unref()
  }
  if (opts.signal?.aborted) queueMicrotask(kill)
  else opts.signal?.addEventListener('abort', kill, { once: true })
  const exit = new Promise<ToolExit>((resolve) => {
    let spawnError: Error | undefined
    child.on('error', (e) => (spawnError = e))
    child.on('close', (code, signal) => {
      clearTimeout(killTimer)
      opts.signal?.removeEventListener('abort', kill)
      cleanup()
      if (partial && opts.onStderrLine) opts.onStderrLine(partial)
      const text = spawnError ? `${stderr}\n${spawnError.message}`.trim() : stderr
      resolve({ code, signal, stderr: maskSecret(text, password) })
    })
  })
  return { child, exit }
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, sig)
  } catch {
    try {
      child.kill(sig)
    } catch {
      // already gone
    }
  }
}

/** A tool run to its end; `inputError` is set when the stream piped into it failed (then the tool was stopped). */
export async function runTool(bin: string, args: string[], opts: ToolOptions & { stdinFrom?: Readable }): Promise<ToolExit & { inputError?: Error }> {
  const t = startTool(bin, args, { ...opts, stdin: opts.stdinFrom ? 'pipe' : 'ignore' })
  const input = opts.stdinFrom ? pipeInto(opts.stdinFrom, t.child) : undefined
  const exit = await t.exit
  const inputError = await input
  return inputError ? { ...exit, inputError } : exit
}

/**
 * Pipes a stream into a tool's stdin. A tool that stops reading early (pg_restore --list reads only
 * the table of contents) closes its stdin: that EPIPE is no error, the tool's exit code says how it
 * went. A failing source (a decryption that finds a forged or truncated chunk) stops the tool, so
 * that it never takes a cut stream for a whole one; the promise then resolves with that error.
 */
export function pipeInto(source: Readable, child: ChildProcess): Promise<Error | undefined> {
  const stdin = child.stdin!
  return new Promise((resolve) => {
    let failed: Error | undefined
    stdin.on('error', () => source.unpipe(stdin))
    source.on('error', (e) => {
      failed = e
      source.unpipe(stdin)
      signalGroup(child, 'SIGTERM')
      stdin.destroy()
    })
    child.on('close', () => {
      source.unpipe(stdin)
      if (!source.destroyed) source.destroy()
      resolve(failed)
    })
    source.pipe(stdin)
  })
}

/** One line for a failed tool: its last stderr lines, or how it ended. */
export function describeExit(tool: string, e: ToolExit): string {
  const lines = e.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^pg_(dump|restore): (last built-in OID|reading|identifying|finding|flagging|saving|dumping|processing|creating|executing|launching|finished|connecting|implied)/.test(l))
  // From the last error on: pg_restore prints the failed statement after its reason ("Command was:
  // CREATE TABLE …", a line per column), and the last lines alone would be the statement.
  const lastError = lines.findLastIndex((l) => /\b(error|ERROR|FATAL|PANIC):/.test(l))
  const tail = (lastError >= 0 && lastError < lines.length - 5 ? lines.slice(lastError, lastError + 5) : lines.slice(-5)).join('\n')
  const how = e.signal ? `was stopped by ${e.signal}` : `exited with code ${e.code}`
  return tail ? `${tool} ${how}:\n${tail}` : `${tool} ${how}.`
}
