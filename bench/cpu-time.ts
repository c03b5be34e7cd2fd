/**
 * CPU seconds spent by a piece of work: this process, the tools it ran (reaped children), and the
 * PostgreSQL server it talked to, when that server runs on this machine. On a shared machine whose
 * load comes and goes, wall time says more about the neighbours than about the work; the CPU time
 * both sides of a comparison spent does not depend on them.
 */
import fs from 'node:fs'
import os from 'node:os'
import { type Kysely, sql } from 'kysely'

/** Linux's USER_HZ: /proc counts CPU time in these ticks on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

/** utime, stime, cutime, cstime of a /proc stat line (the fields after the command name). */
function procTimes(pid: number | 'self'): number[] | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // Fields counted from "state" (3rd of the line) as index 0: utime is the 14th of the line.
    return [fields[11], fields[12], fields[13], fields[14]].map(Number)
  } catch {
    return null
  }
}

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

export interface CpuMeter {
  /** CPU milliseconds used since the meter was made (or since the last call's start for `measure`). */
  measure<T>(run: () => Promise<T>): Promise<{ cpuMs: number; value: T }>
  /** CPU milliseconds used so far by this process, its reaped tools and the server: for a split within `measure`. */
  now(): number
  /** Whether the server's processes were counted (it runs here and /proc shows them). */
  server: boolean
}

/**
 * A meter for work against the server behind `db`. The server's CPU is its postmaster's reaped
 * children (backends that ended) plus the ones still running: a backend that ended mid-way is
 * counted whole, one still running is counted so far.
 */
export async function cpuMeter(db: Kysely<any>): Promise<CpuMeter> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
  const backend = procTimes(rows[0].pid)
  let postmaster: number | null = null
  if (backend) {
    const stat = fs.readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8')
    postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  }
  const serverTicks = () => {
    if (postmaster === null) return 0
    const own = procTimes(postmaster) ?? [0, 0, 0, 0]
    return own.reduce((a, b) => a + b, 0) + childrenOf(postmaster).reduce((n, pid) => n + (procTimes(pid)?.slice(0, 2).reduce((a, b) => a + b, 0) ?? 0), 0)
  }
  const selfTicks = () => (procTimes('self') ?? [0, 0, 0, 0]).reduce((a, b) => a + b, 0)
  const now = () => ((selfTicks() + serverTicks()) * 1000) / TICKS_PER_SECOND
  return {
    server: postmaster !== null,
    now,
    async measure(run) {
      const before = now()
      const value = await run()
      return { cpuMs: now() - before, value }
    },
  }
}

/** The 1, 5 and 15 minute load averages, printed with each round: how busy the shared machine was. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')
}
