import type { Migration } from 'kysely'
import * as m20261127_000001 from './20261127_000001_users_and_audit'
import * as m20261127_000002 from './20261127_000002_schema_snapshots'
import * as m20261127_000003 from './20261127_000003_migration_runs'
import * as m20261127_000004 from './20261127_000004_integrity'
import * as m20261127_000005 from './20261127_000005_enum_column_sets'
import * as m20261127_000006 from './20261127_000006_role_rules'
import * as m20261127_000007 from './20261127_000007_integrity_fixes'
import * as m20261203_000008 from './20261203_000008_rule_reader'
import * as m20261203_000009 from './20261203_000009_target_identity'
import * as m20261203_000010 from './20261203_000010_jobs_interrupted'
import * as m20261203_000012 from './20261203_000012_backups'
import * as m20261203_000013 from './20261203_000013_two_factor'
import * as m20261203_000014 from './20261203_000014_maintenance_jobs'
import * as m20261203_000015 from './20261203_000015_migration_adoption'
import * as m20261203_000016 from './20261203_000016_user_theme'
import * as m20261203_000017 from './20261203_000017_security_wiring'
import * as m20261203_000018 from './20261203_000018_job_queue'
import * as m20261203_000019 from './20261203_000019_metrics_and_alerts'
import * as m20261203_000022 from './20261203_000022_dashboard_query_failures'
import * as m20261203_000023 from './20261203_000023_backup_jobs'
import * as m20261203_000024 from './20261203_000024_maintenance_on_queue'
import * as m20261203_000025 from './20261203_000025_query_stats'
import * as m20261203_000026 from './20261203_000026_failure_total_index_summary'
import * as m20261203_000027 from './20261203_000027_alert_notice'
import * as m20261203_000031 from './20261203_000031_target_keyed_settings'

/**
 * The dashboard's own state-database migrations, as a static index: a Next server bundle cannot
 * load migration files from disk. A new migration is one import and one entry here.
 */
export const stateMigrations: Record<string, Migration> = {
  '20261127_000001_users_and_audit': m20261127_000001,
  '20261127_000002_schema_snapshots': m20261127_000002,
  '20261127_000003_migration_runs': m20261127_000003,
  '20261127_000004_integrity': m20261127_000004,
  '20261127_000005_enum_column_sets': m20261127_000005,
  '20261127_000006_role_rules': m20261127_000006,
  '20261127_000007_integrity_fixes': m20261127_000007,
  '20261203_000008_rule_reader': m20261203_000008,
  '20261203_000009_target_identity': m20261203_000009,
  '20261203_000010_jobs_interrupted': m20261203_000010,
  '20261203_000012_backups': m20261203_000012,
  '20261203_000013_two_factor': m20261203_000013,
  '20261203_000014_maintenance_jobs': m20261203_000014,
  '20261203_000015_migration_adoption': m20261203_000015,
  '20261203_000016_user_theme': m20261203_000016,
  '20261203_000017_security_wiring': m20261203_000017,
  '20261203_000018_job_queue': m20261203_000018,
  '20261203_000019_metrics_and_alerts': m20261203_000019,
  '20261203_000022_dashboard_query_failures': m20261203_000022,
  '20261203_000023_backup_jobs': m20261203_000023,
  '20261203_000024_maintenance_on_queue': m20261203_000024,
  '20261203_000025_query_stats': m20261203_000025,
  '20261203_000026_failure_total_index_summary': m20261203_000026,
  '20261203_000027_alert_notice': m20261203_000027,
  '20261203_000031_target_keyed_settings': m20261203_000031,
}

export const STATE_MIGRATION_TABLE = 'dbadmin_migration'
export const STATE_MIGRATION_LOCK_TABLE = 'dbadmin_migration_lock'
