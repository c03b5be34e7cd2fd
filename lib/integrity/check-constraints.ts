import { type Kysely, sql } from 'kysely'
import { validateConstraintSql } from './advice-sql'
import { type Finding, finding } from './findings'

export interface NotValidCheck {
  oid: number
  schema: string
  table: string
  name: string
  definition: string
}

export async function notValidChecks(db: Kysely<any>): Promise<NotValidCheck[]> {
  const { rows } = await sql<NotValidCheck>`
    select con.oid::int8 as oid, n.nspname as schema, c.relname as table, con.conname as name,
           pg_get_constraintdef(con.oid) as definition
    from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
    where con.contype = 'c' and not con.convalidated and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
    order by n.nspname, c.relname, con.conname
  `.execute(db)
  return rows
}

/**
 * Rows violating a CHECK constraint. The expression is PostgreSQL's own (pg_get_expr of the
 * constraint, formatted inside the server with %s beside a regclass), so no SQL text is built
 * here: the constraint's oid travels as a setting, the DO block reads it back.
 */
export async function countCheckViolations(db: Kysely<any>, oid: number): Promise<number> {
  return db.connection().execute(async (conn) => {
    await sql`select set_config('dbadmin.check_oid', ${String(oid)}, false), set_config('dbadmin.check_count', '', false)`.execute(conn)
    await sql`
      do $dbadmin$
      declare
        c record;
        n bigint;
      begin
        select conrelid::regclass as rel, pg_get_expr(conbin, conrelid) as expr into c
        from pg_constraint where oid = current_setting('dbadmin.check_oid')::oid and contype = 'c';
        if not found then raise exception 'constraint % not found', current_setting('dbadmin.check_oid'); end if;
        -- A CHECK holds when its expression is true or NULL: only false violates it.
        execute format('select count(*) from %s where (%s) is false', c.rel, c.expr) into n;
        perform set_config('dbadmin.check_count', n::text, false);
      end
      $dbadmin$
    `.execute(conn)
    const { rows } = await sql<{ n: string }>`select current_setting('dbadmin.check_count') as n`.execute(conn)
    return Number(rows[0].n)
  })
}

export async function notValidCheckFindings(db: Kysely<any>): Promise<Finding[]> {
  const out: Finding[] = []
  for (const c of await notValidChecks(db)) {
    const started = Date.now()
    const base = {
      check: 'not_valid_check' as const,
      key: `not_valid_check:${JSON.stringify([c.schema, c.table, c.name])}`,
      title: `CHECK ${c.name} is NOT VALID`,
      schema: c.schema,
      table: c.table,
      detail: { constraint: c.name, definition: c.definition },
    }
    try {
      const n = await countCheckViolations(db, c.oid)
      out.push(
        finding({
          ...base,
          count: n,
          detail: { ...base.detail, canValidate: n === 0 },
          advice:
            n === 0
              ? 'No row violates it: validate it (ALTER TABLE … VALIDATE CONSTRAINT) so the planner and readers can trust it.'
              : `Fix or remove the ${n} violating row${n === 1 ? '' : 's'}, then validate it.`,
          sql: validateConstraintSql(c.schema, c.table, c.name),
          durationMs: Date.now() - started,
        }),
      )
    } catch (e) {
      out.push(finding({ ...base, count: null, error: (e as Error).message, durationMs: Date.now() - started }))
    }
  }
  return out
}

/** ALTER TABLE … VALIDATE CONSTRAINT, by the constraint's exact names from the catalog. */
export async function validateConstraint(db: Kysely<any>, schema: string, table: string, name: string): Promise<void> {
  await sql`alter table ${sql.id(schema, table)} validate constraint ${sql.id(name)}`.execute(db)
}
