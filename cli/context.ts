import type { Kysely } from 'kysely'
import type { AppConfig } from '../lib/config'
import type { JobServices } from '../lib/jobs/job-kind'
import type { JobSystem, JobSystemOptions } from '../lib/jobs/job-system'
import type { CapabilityUrls, DbCapability } from '../lib/db/capabilities'
import type { StateDb } from '../lib/state/state-db'
import type { ParsedArgs } from './args'

export interface CliContext {
  args: ParsedArgs
  json: boolean
  config: AppConfig
  /** DATABASE_URL (or the embedded demo): the default of every capability's login. */
  targetUrl: string
  /** The login of each capability (lib/db/capabilities.ts). */
  capabilities: CapabilityUrls
  /** The managed database as the monitoring login: catalog and statistics reads. */
  target(): Kysely<any>
  /** The managed database as a capability's login, for its job only. */
  as(capability: DbCapability): Kysely<any>
  /** The dashboard's own state database. */
  state(): StateDb
  /**
   * pg-boss on the state database, started on first use and stopped (gracefully: jobs this process
   * took are finished) when the command ends. Without `work` it only queues and cancels.
   */
  jobs(opts?: Pick<JobSystemOptions, 'work' | 'workKinds' | 'supervise' | 'schedules' | 'concurrency'>): Promise<JobSystem>
  /** What a job run here needs (its logins to the target), built on first use, without pg-boss. */
  jobServices(): Promise<JobServices>
  /** One JSON object on stdout. */
  print(value: unknown): void
  out(text: string): void
}
