export type BackupKind = 'full' | 'schema' | 'data'
export type BackupFormat = 'custom' | 'directory' | 'plain'
export type BackupOrigin = 'manual' | 'scheduled' | 'pre_migration' | 'safety' | 'upload'

export interface TableName {
  schema: string
  table: string
}

/** Limits a backup to whole schemas and/or single tables, named exactly (no patterns). */
export interface BackupScope {
  schemas?: string[]
  tables?: TableName[]
}

export interface TableRowCount extends TableName {
  rows: number
}

/** What a running backup, restore or drill reports; the job system saves it, a page shows it. */
export interface WorkProgress {
  phase: string
  /** Tables whose data is done, of all tables with data in scope. */
  tablesDone?: number
  tablesTotal?: number
  currentTable?: string
  bytesWritten?: number
  /** pg_dump's, pg_restore's or psql's process id while it runs. */
  pid?: number
}

export type ProgressCallback = (p: WorkProgress) => void
