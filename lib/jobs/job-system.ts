import { sql } from 'kysely'
import PgBoss from 'pg-boss'
import { JOB_KINDS } from './all-kinds'
import { JOB_SCHEMA, queueName } from './boss-db'
import { enqueueJob, JobBusyError, recordSkippedRun } from './enqueue'
import type { JobKind, JobServices } from './job-kind'
import { markDeadJobs } from './dead-jobs'
import { getJob, type JobRow } from './job-store'
import { type AttemptHooks, runAttempt } from './run-attempt'
import { type ScheduleSetting, syncSchedules } from './schedules'

export interface JobSystemOptions {
  stateUrl: string
  services: JobServices
  /** Runs workers in this process (the web server unless JOBS_WORKER=0, the CLI while it waits, `dbadmin jobs worker`). */
  work: boolean
  /** Only these kinds' queues get workers here (the CLI waiting for one job); default all. */
  workKinds?: string[]
  /** Keeps pg-boss's maintenance (expiry, archive) and cron monitor running here. */
  supervise: boolean
  /** The configured schedules (INTEGRITY_SCHEDULE_CRON, …), applied unless an admin changed them. */
  schedules?: Record<string, ScheduleSetting>
  /** Jobs of a queue one process runs at once, by queue prefix (JOBS_CONCURRENCY), over each kind's default. */
  concurrency?: Record<string, number>
  kinds?: JobKind[]
  applicationName?: string
  /** Faster timers for tests. */
  timing?: { pollingIntervalSeconds?: number; maintenanceIntervalSeconds?: number; cronMonitorIntervalSeconds?: number; sweepMs?: number }
  onProgress?: AttemptHooks['onProgress']
  log?: (line: string) => void
}

/** Parses JOBS_CONCURRENCY ("integrity-fix=2,migration-drift=0"); unknown queues are an error. */
export function parseConcurrency(spec: string | undefined, kinds: JobKind[] = JOB_KINDS): Record<string, number> {
  const out: Record<string, number> = {}
  if (!spec?.trim()) return out
  const known = new Set(kinds.map((k) => k.queue))
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z0-9-]+)\s*=\s*(\d{1,2})$/.exec(part)
    if (!m) throw new Error(`JOBS_CONCURRENCY: "${part}" is not queue=number (e.g. integrity-fix=2)`)
    if (!known.has(m[1])) throw new Error(`JOBS_CONCURRENCY: there is no queue "${m[1]}" (${[...known].join(', ')})`)
    out[m[1]] = Number(m[2])
  }
  return out
}

/**
 * pg-boss in the state database, with this process's workers for its target's queues. One per
 * process: the web server starts it (instrumentation.ts), the CLI when it runs jobs. Several
 * processes may share one state database: each job runs once, and each schedule fires once.
 */
export class JobSystem {
  readonly boss: PgBoss
  readonly kinds: JobKind[]
  private readonly workerIds = new Map<string, string[]>()
  private sweeper: NodeJS.Timeout | undefined
  private stopping = false
  private stopped = false
  private started = false

  constructor(readonly options: JobSystemOptions) {
    this.kinds = options.kinds ?? JOB_KINDS
    const t = options.timing ?? {}
    this.boss = new PgBoss({
      connectionString: options.stateUrl,
      schema: JOB_SCHEMA,
      application_name: options.applicationName ?? 'dbadmin jobs',
      max: 4,
      supervise: options.supervise,
      schedule: options.supervise,
      migrate: true,
      maintenanceIntervalSeconds: t.maintenanceIntervalSeconds ?? 60,
      cronMonitorIntervalSeconds: t.cronMonitorIntervalSeconds ?? 30,
      // Finished pg-boss entries are archived after a week and dropped a month later: the job rows keep the history.
      archiveCompletedAfterSeconds: 7 * 86_400,
      deleteAfterDays: 30,
    })
    this.boss.on('error', (e: Error) => this.log(`job queue error: ${e.message}`))
  }

  get services(): JobServices {
    return this.options.services
  }

  private log(line: string) {
    ;(this.options.log ?? ((l: string) => console.error(`[dbadmin] ${l}`)))(line)
  }

  kind(name: string): JobKind {
    const k = this.kinds.find((x) => x.kind === name)
    if (!k) throw new Error(`unknown job kind ${name}`)
    return k
  }

  queue(kind: JobKind): string {
    return queueName(kind, this.services.target.key)
  }

  async start(): Promise<this> {
    if (this.started) return this
    await this.boss.start()
    for (const kind of this.kinds) {
      // Idempotent: the first process to start creates the queue (its partition of pg-boss's job table).
      await this.boss.createQueue(this.queue(kind), { name: this.queue(kind), policy: kind.exclusive ? 'singleton' : 'standard' })
    }
    this.started = true
    if (this.options.work) await this.startWorkers()
    if (this.options.schedules) await syncSchedules(this, this.options.schedules)
    if (this.options.work || this.options.supervise) {
      this.sweeper = setInterval(() => void this.sweep().catch((e: unknown) => this.log(`job sweep failed: ${(e as Error)?.message ?? e}`)), this.options.timing?.sweepMs ?? 5_000)
      this.sweeper.unref()
      await this.sweep().catch(() => {})
    }
    return this
  }

  private async startWorkers() {
    const t = this.options.timing ?? {}
    for (const kind of this.kinds) {
      if (this.options.workKinds && !this.options.workKinds.includes(kind.kind)) continue
      const n = this.options.concurrency?.[kind.queue] ?? kind.concurrency
      const ids: string[] = []
      for (let i = 0; i < n; i++) {
        ids.push(
          await this.boss.work<{ jobId?: number; scheduled?: boolean }>(
            this.queue(kind),
            { pollingIntervalSeconds: t.pollingIntervalSeconds ?? 2, batchSize: 1 },
            async ([job]) => this.handle(kind, job),
          ),
        )
      }
      this.workerIds.set(kind.kind, ids)
    }
  }

  /** One pg-boss job: a queued job row, or a schedule's firing that becomes one. */
  private async handle(kind: JobKind, job: PgBoss.Job<{ jobId?: number; scheduled?: boolean }>) {
    let jobId = job.data?.jobId
    if (!jobId) {
      if (!kind.schedule) return { skipped: 'no job row' }
      try {
        jobId = (await enqueueJob(this.services.state, this.boss, { kind, input: kind.schedule.input, target: this.services.target, startedBy: 'schedule', trigger: 'schedule', bossId: job.id })).id
      } catch (e) {
        // Scheduled while one is already queued or running: that one is this schedule's run.
        if (e instanceof JobBusyError) {
          if (kind.schedule.recordSkips) await recordSkippedRun(this.services.state, { kind, target: this.services.target, bossId: job.id, busy: e })
          return { skipped: e.message }
        }
        throw e
      }
    }
    return runAttempt(this.services, kind, jobId, job.expireInSeconds, { shuttingDown: () => this.stopping, onProgress: this.options.onProgress })
  }

  /** Queues a job of `kind` on this system's target. Throws JobBusyError when its key is taken. */
  async enqueue<I>(kindName: string, input: I, who: { startedBy: string; trigger: JobRow['trigger'] }): Promise<JobRow> {
    const kind = this.kind(kindName) as JobKind<I>
    const row = await enqueueJob(this.services.state, this.boss, { kind, input, target: this.services.target, ...who })
    // A worker here takes it now rather than at its next poll.
    for (const id of this.workerIds.get(kind.kind) ?? []) this.boss.notifyWorker(id)
    return row
  }

  /**
   * Cancels a job: a queued one at once (pg-boss drops it), a running one at its next safe point
   * (between checks or batches). The refusal says why, e.g. that it already finished.
   */
  async cancel(id: number): Promise<{ ok: true; job: JobRow; message: string } | { ok: false; job: JobRow | null; message: string }> {
    await this.markDead()
    const job = await getJob(this.services.state, id)
    if (!job || job.targetKey !== this.services.target.key) {
      return { ok: false, job: null, message: job ? `Job #${id} belongs to another database (${job.targetDatabase}).` : `There is no job #${id}.` }
    }
    const kind = this.kinds.find((k) => k.kind === job.kind)
    if (job.state === 'queued') {
      const r = await this.services.state
        .updateTable('job')
        .set({ state: 'cancelled', cancel_requested: true, finished_at: sql`now()`, message: 'Cancelled before it started.' })
        .where('id', '=', id)
        .where('state', '=', 'queued')
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) > 0) {
        if (job.bossId) await this.boss.cancel(job.queue, job.bossId)
        const cancelled = (await getJob(this.services.state, id))!
        await kind?.stopped?.(this.services.state, cancelled)
        return { ok: true, job: cancelled, message: `Job #${id} was cancelled before it started.` }
      }
    }
    if (job.state === 'running' || job.state === 'queued') {
      if (kind && !kind.cancellable) return { ok: false, job, message: `${kind.title} cannot be stopped once it runs; job #${id} finishes by itself.` }
      const r = await this.services.state.updateTable('job').set({ cancel_requested: true }).where('id', '=', id).where('state', '=', 'running').executeTakeFirst()
      if (Number(r.numUpdatedRows) > 0) return { ok: true, job, message: `Job #${id} stops at its next safe point; what it did so far stays done.` }
    }
    const now = await getJob(this.services.state, id)
    return { ok: false, job: now, message: `Job #${id} is not running (${now?.state ?? 'gone'}).` }
  }

  /** Marks jobs whose worker died as interrupted, letting each kind record it in its own row. */
  async markDead(): Promise<JobRow[]> {
    return markDeadJobs(this.services.state, this.kinds, this.services)
  }

  /**
   * Every few seconds in processes with workers: jobs of dead workers are marked, and their
   * pg-boss entries failed at once (pg-boss retries them, or records them failed) instead of
   * waiting for their expiry. Only attempts that started before the job was marked are failed.
   */
  async sweep(): Promise<void> {
    await this.markDead()
    const { rows } = await sql<{ queue: string; boss_id: string }>`
      select j.queue, j.boss_id from job j
      join ${sql.table(`${JOB_SCHEMA}.job`)} b on b.name = j.queue and b.id = j.boss_id
      where j.state = 'interrupted' and j.target_key = ${this.services.target.key}
        and b.state = 'active' and b.started_on <= j.finished_at
    `.execute(this.services.state)
    for (const r of rows) await this.boss.fail(r.queue, r.boss_id, { message: 'its worker stopped' })
  }

  /**
   * Stops taking jobs, then: running jobs stop at their next safe point (recorded interrupted,
   * retried by pg-boss elsewhere or at the next start), or with `drain` they finish first (the
   * CLI, which only took jobs while it waited for its own). After `timeoutMs` pg-boss fails what
   * is left.
   */
  async stop(timeoutMs = 30_000, opts: { drain?: boolean } = {}): Promise<void> {
    if (!this.started || this.stopped) return
    this.stopped = true
    if (!opts.drain) this.stopping = true
    if (this.sweeper) clearInterval(this.sweeper)
    await this.boss.stop({ graceful: true, wait: true, timeout: timeoutMs })
  }
}
