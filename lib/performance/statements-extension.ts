import { type Kysely, sql } from 'kysely'
import { PerformanceError } from './performance-error'

/**
 * Whether pg_stat_statements can be read here, and if not exactly what to change. It takes three
 * things: the extension's files on the server, the library loaded at server start
 * (shared_preload_libraries, then a restart), and CREATE EXTENSION in this database.
 */
export type StatementsState = 'ready' | 'not-available' | 'not-preloaded' | 'not-created'

export interface StatementsFacts {
  /** pg_available_extensions' default version; null when the server has no such extension files. */
  availableVersion: string | null
  /** pg_extension in this database; null when not created. */
  installedVersion: string | null
  schema: string | null
  /** The library's settings exist only when it was loaded at server start. */
  loaded: boolean
  /** shared_preload_libraries; null when this role may not read it (needs pg_read_all_settings). */
  preload: string | null
  superuser: boolean
}

export interface AdviceStep {
  text: string
  /** Exact SQL to run, when there is one. */
  sql?: string
}

export interface StatementsStatus {
  state: StatementsState
  facts: StatementsFacts
  /** One sentence for the page. */
  summary: string
  steps: AdviceStep[]
  /** The dashboard's role could run CREATE EXTENSION itself (the library is loaded, the role is a superuser). */
  canCreate: boolean
}

const CREATE = 'CREATE EXTENSION pg_stat_statements;'

/** Splits a GUC list (comma-separated, entries optionally double-quoted) as the server does. */
export function splitSettingList(value: string): string[] {
  const out: string[] = []
  let current = ''
  let inQuotes = false
  const push = () => {
    const entry = current.trim()
    if (entry) out.push(entry)
    current = ''
  }
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]
    if (inQuotes) {
      if (ch !== '"') current += ch
      else if (value[i + 1] === '"') current += value[++i]
      else inQuotes = false
    } else if (ch === '"') inQuotes = true
    else if (ch === ',') push()
    else current += ch
  }
  push()
  return out
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`

export function describeStatementsStatus(f: StatementsFacts): StatementsStatus {
  const createStep: AdviceStep = { text: 'As a superuser, create the extension in this database.', sql: CREATE }
  if (f.loaded && f.installedVersion) {
    const steps: AdviceStep[] = []
    if (f.availableVersion && f.availableVersion !== f.installedVersion) {
      steps.push({
        text: `The extension is at version ${f.installedVersion}; the server ships ${f.availableVersion}. Update it for the newer columns.`,
        sql: 'ALTER EXTENSION pg_stat_statements UPDATE;',
      })
    }
    return { state: 'ready', facts: f, summary: `pg_stat_statements ${f.installedVersion} is collecting statistics.`, steps, canCreate: false }
  }
  if (!f.availableVersion) {
    return {
      state: 'not-available',
      facts: f,
      summary: 'This server has no pg_stat_statements: its contrib modules are not installed.',
      steps: [
        { text: "Install the server's contrib modules (on Debian and Ubuntu they come with the postgresql-NN package; elsewhere postgresql-contrib)." },
        ...preloadSteps(f),
        createStep,
      ],
      canCreate: false,
    }
  }
  if (!f.loaded) {
    return {
      state: 'not-preloaded',
      facts: f,
      summary: 'pg_stat_statements is not loaded: it must be in shared_preload_libraries when the server starts.',
      steps: [...preloadSteps(f), ...(f.installedVersion ? [] : [createStep])],
      canCreate: false,
    }
  }
  return {
    state: 'not-created',
    facts: f,
    summary: 'pg_stat_statements is loaded but not created in this database.',
    steps: [createStep],
    canCreate: f.superuser,
  }
}

function preloadSteps(f: StatementsFacts): AdviceStep[] {
  const restart: AdviceStep = { text: 'Restart PostgreSQL: shared_preload_libraries is read only at server start (a reload is not enough).' }
  if (f.preload === null) {
    return [
      {
        text: 'Add pg_stat_statements to shared_preload_libraries, keeping the libraries already listed there (this role may not read the setting: it needs pg_read_all_settings).',
      },
      restart,
    ]
  }
  const libraries = splitSettingList(f.preload)
  if (libraries.includes('pg_stat_statements')) {
    return [{ text: 'shared_preload_libraries already lists pg_stat_statements, but the server has not been restarted since.' }, restart]
  }
  return [
    {
      text: 'As a superuser, add pg_stat_statements to shared_preload_libraries (this keeps the libraries already listed).',
      sql: `ALTER SYSTEM SET shared_preload_libraries = ${[...libraries, 'pg_stat_statements'].map(literal).join(', ')};`,
    },
    restart,
  ]
}

/**
 * The facts, in one round trip. `checkUpdate: false` skips the available version (it reads every
 * extension's control file from disk) once the extension is known to be there: the slow-queries
 * list polls, the status page does not.
 */
export async function readStatementsFacts(db: Kysely<any>, opts: { checkUpdate?: boolean } = {}): Promise<StatementsFacts> {
  const { rows } = await sql<{
    available_version: string | null
    installed_version: string | null
    schema: string | null
    loaded: boolean
    preload: string | null
    superuser: boolean
    settings_readable: boolean
  }>`/* dor-db-admin */
    select case when ${opts.checkUpdate ?? true}::bool or e.extversion is null
                then (select a.default_version from pg_available_extensions a where a.name = 'pg_stat_statements') end as available_version,
           e.extversion as installed_version, n.nspname as schema,
           current_setting('pg_stat_statements.max', true) is not null as loaded,
           (select s.setting from pg_settings s where s.name = 'shared_preload_libraries') as preload,
           me.rolsuper as superuser,
           me.rolsuper or pg_has_role('pg_read_all_settings', 'USAGE') as settings_readable
    from (select rolsuper from pg_roles where rolname = current_user) me
    left join pg_extension e on e.extname = 'pg_stat_statements'
    left join pg_namespace n on n.oid = e.extnamespace
  `.execute(db)
  const r = rows[0]
  return {
    // Not asked: taken to be the installed one, so that no update is suggested.
    availableVersion: r.available_version ?? r.installed_version,
    installedVersion: r.installed_version,
    schema: r.schema,
    loaded: r.loaded,
    // A role without pg_read_all_settings sees no such row: the superuser-only setting is unknown.
    preload: r.settings_readable ? (r.preload ?? '') : null,
    superuser: r.superuser,
  }
}

export async function readStatementsStatus(db: Kysely<any>, opts: { checkUpdate?: boolean } = {}): Promise<StatementsStatus> {
  return describeStatementsStatus(await readStatementsFacts(db, opts))
}

/** CREATE EXTENSION for an admin, when the library is loaded; refused with the reason otherwise. */
export async function createStatementsExtension(db: Kysely<any>): Promise<StatementsStatus> {
  const before = await readStatementsStatus(db)
  if (before.state === 'ready') return before
  if (before.state !== 'not-created') throw new PerformanceError('unavailable', `${before.summary} ${before.steps.map((s) => s.text).join(' ')}`)
  if (!before.facts.superuser) {
    throw new PerformanceError(
      'not_permitted',
      'Only a superuser can create pg_stat_statements (it is not a trusted extension); the dashboard does not connect as one.',
    )
  }
  await sql`/* dor-db-admin */ create extension if not exists pg_stat_statements`.execute(db)
  return readStatementsStatus(db)
}
