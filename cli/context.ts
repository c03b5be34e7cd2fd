import type { Kysely } from 'kysely'
import type { AppConfig } from '../lib/config'
import type { JobSystem, JobSystemOptions } from '../lib/jobs/job-system'
import type { ParsedArgs } from './args'

export interface CliContext {
  args: ParsedArgs
  json: boolean
  config: AppConfig
  targetUrl: string
  /** The managed database. */
  target(): Kysely<any>
  /** The dashboard's own state database. */
  state(): Kysely<any>
  /**
   * pg-boss on the state database, started on first use and stopped (gracefully: jobs this process
   * took are finished) when the command ends. Without `work` it only queues and cancels.
   */
  jobs(opts?: Pick<JobSystemOptions, 'work' | 'workKinds' | 'supervise' | 'schedules' | 'concurrency'>): Promise<JobSystem>
  /** One JSON object on stdout. */
  print(value: unknown): void
  out(text: string): void
}
