import { type Kysely, type RawBuilder, sql } from 'kysely'
import { PerformanceError } from './performance-error'

export type MaintenanceTask =
  | { kind: 'vacuum'; schema: string; table: string; analyze?: boolean }
  | { kind: 'analyze'; schema: string; table: string }
  | { kind: 'reindex'; target: 'table' | 'index'; schema: string; name: string }
  | { kind: 'create-index'; schema: string; table: string; columns: string[] }
  | { kind: 'drop-index'; schema: string; name: string }

export interface MaintenanceOptions {
  /** Aborting cancels the statement on the server (pg_cancel_backend from another pooled connection). */
  signal?: AbortSignal
  /** Called with the backend pid once the statement is about to start: for a job row, progress and cancel. */
  onStarted?: (pid: number) => void
  /** statement_timeout for this statement; 0 (the default) for none: maintenance of a big table takes long. */
  statementTimeoutMs?: number
}

export interface MaintenanceResult {
  status: 'done' | 'cancelled'
  /** The statement as run, identifiers quoted by the server. */
  statement: string
  pid: number
  durationMs: number
  /** Invalid indexes a cancelled CONCURRENTLY build left on the table, to be dropped. */
  leftovers: string[]
}

interface Target {
  found: boolean
  table_oid: number | null
  table_owner: string | null
  allowed: boolean
  me: string
  qualified: string | null
  qualified_table: string | null
  constraint_name: string | null
  fk_name: string | null
  missing_columns: string[] | null
  quoted_columns: string | null
}

/**
 * VACUUM (ANALYZE), ANALYZE, REINDEX CONCURRENTLY, CREATE INDEX CONCURRENTLY and DROP INDEX
 * CONCURRENTLY of one table or index, on a connection of its own from the pool (none of them may run
 * in a transaction block). Refused up front when the role may not do it: VACUUM and ANALYZE would
 * otherwise only warn and skip the table, reporting success. The pool needs a second connection
 * for cancelling.
 */
export async function runMaintenance(db: Kysely<any>, task: MaintenanceTask, opts: MaintenanceOptions = {}): Promise<MaintenanceResult> {
  const t = await checkTarget(db, task)
  const statement = displayStatement(task, t)
  const run = statementFor(task)
  const started = Date.now()

  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ pid: number; timeout: string }>`/* dor-db-admin */
      select pg_backend_pid() as pid, current_setting('statement_timeout') as timeout`.execute(conn)
    const { pid, timeout } = rows[0]
    if (opts.signal?.aborted) return { status: 'cancelled' as const, statement, pid, durationMs: 0, leftovers: [] }
    let cancelling: Promise<unknown> | undefined
    const onAbort = () => {
      cancelling = sql`/* dor-db-admin */ select pg_cancel_backend(${pid}::int)`.execute(db).catch(() => {})
    }
    await sql`/* dor-db-admin */ select set_config('statement_timeout', ${String(opts.statementTimeoutMs ?? 0)}, false)`.execute(conn)
    try {
      opts.onStarted?.(pid)
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      await run.execute(conn)
      return { status: 'done' as const, statement, pid, durationMs: Date.now() - started, leftovers: [] }
    } catch (e) {
      // Cancelled by the signal or by cancelMaintenance from elsewhere; a statement timeout stays an error.
      const err = e as { code?: string; message?: string }
      if (err.code === '57014' && (opts.signal?.aborted || /user request/.test(err.message ?? ''))) {
        return { status: 'cancelled' as const, statement, pid, durationMs: Date.now() - started, leftovers: await leftovers(db, t.table_oid) }
      }
      throw e
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
      await cancelling
      await sql`/* dor-db-admin */ select set_config('statement_timeout', ${timeout}, false)`.execute(conn)
    }
  })
}

/**
 * Cancels the statement of a maintenance job whose worker died: the server keeps running a VACUUM
 * or REINDEX whose client is gone until it next writes to it, which a long VACUUM does not. Only
 * when that pid still runs exactly this task's statement as this login, so that a pid the server
 * has since given to another session is never touched. True when it was cancelled.
 */
export async function cancelStrandedMaintenance(db: Kysely<any>, task: MaintenanceTask, pid: number): Promise<boolean> {
  const text = statementFor(task).compile(db).sql
  const { rows } = await sql<{ ok: boolean }>`/* dor-db-admin */
    select pg_cancel_backend(a.pid) as ok
    from pg_stat_activity a
    where a.pid = ${pid}::int and a.usename = current_user and a.state <> 'idle' and a.query = ${text}
  `.execute(db)
  return rows[0]?.ok ?? false
}

/** Cancels a maintenance statement started elsewhere (another process, a job) by its pid. */
export async function cancelMaintenance(db: Kysely<any>, pid: number): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`/* dor-db-admin */ select pg_cancel_backend(${pid}::int) as ok`.execute(db)
  return rows[0]?.ok ?? false
}

function statementFor(task: MaintenanceTask): RawBuilder<unknown> {
  switch (task.kind) {
    case 'vacuum':
      return task.analyze
        ? sql`/* dor-db-admin */ vacuum (analyze) ${sql.id(task.schema, task.table)}`
        : sql`/* dor-db-admin */ vacuum ${sql.id(task.schema, task.table)}`
    case 'analyze':
      return sql`/* dor-db-admin */ analyze ${sql.id(task.schema, task.table)}`
    case 'reindex':
      return task.target === 'table'
        ? sql`/* dor-db-admin */ reindex table concurrently ${sql.id(task.schema, task.name)}`
        : sql`/* dor-db-admin */ reindex index concurrently ${sql.id(task.schema, task.name)}`
    case 'create-index':
      return sql`/* dor-db-admin */ create index concurrently on ${sql.id(task.schema, task.table)} (${sql.join(task.columns.map((c) => sql.id(c)))})`
    case 'drop-index':
      return sql`/* dor-db-admin */ drop index concurrently ${sql.id(task.schema, task.name)}`
  }
}

function displayStatement(task: MaintenanceTask, t: Target): string {
  switch (task.kind) {
    case 'vacuum':
      return `VACUUM ${task.analyze ? '(ANALYZE) ' : ''}${t.qualified};`
    case 'analyze':
      return `ANALYZE ${t.qualified};`
    case 'reindex':
      return `REINDEX ${task.target === 'table' ? 'TABLE' : 'INDEX'} CONCURRENTLY ${t.qualified};`
    case 'create-index':
      return `CREATE INDEX CONCURRENTLY ON ${t.qualified} (${t.quoted_columns});`
    case 'drop-index':
      return `DROP INDEX CONCURRENTLY ${t.qualified};`
  }
}

async function checkTarget(db: Kysely<any>, task: MaintenanceTask): Promise<Target> {
  const onIndex = task.kind === 'drop-index' || (task.kind === 'reindex' && task.target === 'index')
  const schema = task.schema
  const name = 'table' in task ? task.table : task.name
  const columns = task.kind === 'create-index' ? task.columns : []
  if (task.kind === 'create-index' && !columns.length) throw new PerformanceError('invalid_input', 'An index needs at least one column.')
  const { rows } = await sql<Target>`/* dor-db-admin */
    with obj as (
      select c.oid, c.relkind, c.relowner, format('%I.%I', n.nspname, c.relname) as qualified,
             case when c.relkind in ('i', 'I') then (select i.indrelid from pg_index i where i.indexrelid = c.oid) else c.oid end as table_oid
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relname = ${name}
        and c.relkind = any(${onIndex ? ['i', 'I'] : ['r', 'm', 'p']}::"char"[])
    )
    select (select count(*) from obj) > 0 as found, o.table_oid,
           pg_get_userbyid(tc.relowner) as table_owner, o.qualified,
           case when tc.oid is not null then format('%I.%I', tn.nspname, tc.relname) end as qualified_table,
           coalesce((select rolsuper from pg_roles where rolname = current_user), false)
             or pg_has_role(o.relowner, 'USAGE')
             or (current_setting('server_version_num')::int >= 170000 and has_table_privilege(o.table_oid, 'MAINTAIN')) as allowed,
           current_user as me,
           (select con.conname from pg_constraint con where con.conindid = o.oid and con.contype in ('p', 'u', 'x') limit 1) as constraint_name,
           (select f.conname from pg_constraint f where f.conindid = o.oid and f.contype = 'f' limit 1) as fk_name,
           (select coalesce(array_agg(col), '{}') from unnest(${columns}::text[]) col
             where not exists (select 1 from pg_attribute a where a.attrelid = o.table_oid and a.attname = col and a.attnum > 0 and not a.attisdropped)) as missing_columns,
           (select string_agg(format('%I', col), ', ' order by ord) from unnest(${columns}::text[]) with ordinality u(col, ord)) as quoted_columns
    from (select 1) one
    left join obj o on true
    left join pg_class tc on tc.oid = o.table_oid
    left join pg_namespace tn on tn.oid = tc.relnamespace
  `.execute(db)
  const t = rows[0]
  const what = onIndex ? 'index' : 'table'
  if (!t.found) throw new PerformanceError('invalid_input', `There is no ${what} ${schema}.${name}.`)
  if (!t.allowed) {
    throw new PerformanceError(
      'not_permitted',
      `${displayStatement(task, t).replace(/;$/, '')} needs the owner of ${t.qualified_table} (${t.table_owner}) or a superuser${
        task.kind === 'vacuum' || task.kind === 'analyze' ? ' (PostgreSQL 17: the MAINTAIN privilege)' : ''
      }; the dashboard connects as ${t.me}.`,
    )
  }
  if (task.kind === 'drop-index' && t.constraint_name) {
    throw new PerformanceError('refused', `${t.qualified} enforces the constraint ${t.constraint_name}: drop the constraint instead, if that is really meant.`)
  }
  if (task.kind === 'drop-index' && t.fk_name) {
    throw new PerformanceError('refused', `The foreign key ${t.fk_name} relies on ${t.qualified}; it cannot be dropped while that key exists.`)
  }
  if (t.missing_columns?.length) {
    throw new PerformanceError('invalid_input', `${t.qualified} has no column ${t.missing_columns.map((c) => `"${c}"`).join(', ')}.`)
  }
  return t
}

async function leftovers(db: Kysely<any>, tableOid: number | null): Promise<string[]> {
  if (tableOid === null) return []
  const { rows } = await sql<{ name: string }>`/* dor-db-admin */
    select format('%I.%I', n.nspname, c.relname) as name
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
    where i.indrelid = ${tableOid}::oid and not i.indisvalid
      and not exists (select 1 from pg_stat_progress_create_index p where p.index_relid = i.indexrelid)
    order by 1
  `.execute(db)
  return rows.map((r) => r.name)
}
