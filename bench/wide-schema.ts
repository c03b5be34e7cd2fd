import { type Kysely, sql } from 'kysely'

/**
 * A wide synthetic schema for scale tests and benchmarks: thousands of small tables spread over
 * a few schemas, generated inside PostgreSQL (format('%I') in a DO block), committed in batches
 * so that one transaction never holds more locks than max_locks_per_transaction allows.
 *
 * Table i (1..tables) is `wide_<i mod schemas>.t_<i, 5 digits>` with `columnsPerTable` columns:
 *   - `id bigint` primary key (an identity for every 10th table, so those own a sequence);
 *   - for every 5th table (i ≥ 5): `parent_id bigint` referencing table i-1;
 *   - for every 50th table: `audit_note text` as its last column (a column name found nowhere else);
 *   - the rest `c_<n>`, rotating through integer, text, timestamptz default now(), numeric(12,2),
 *     boolean default false, an enum `wide_0.mood_<k>`, varchar(40) and jsonb.
 * Every 4th table has an index on its second column, every 100th a table comment and every 500th
 * a trigger calling `wide_0.touch()`.
 */
export interface WideSchemaOptions {
  tables?: number
  columnsPerTable?: number
  schemas?: number
}

export interface WideSchemaCounts {
  tables: number
  columns: number
  schemas: number
  foreignKeys: number
  /** Indexes besides the primary keys. */
  extraIndexes: number
  identitySequences: number
  triggers: number
  comments: number
  enums: number
  /** Tables having the column `audit_note`. */
  auditNoteTables: number
}

export const WIDE_ENUMS = 3
export const WIDE_MARKER_COLUMN = 'audit_note'
/** Tables are committed in batches of this size, a multiple of 5 (see createWideSchema). */
const BATCH = 250

function resolve(opts: WideSchemaOptions): Required<WideSchemaOptions> {
  const o = { tables: opts.tables ?? 5000, columnsPerTable: opts.columnsPerTable ?? 10, schemas: opts.schemas ?? 10 }
  if (!Number.isInteger(o.tables) || o.tables < 1 || o.tables > 99_999) throw new Error(`tables must be 1..99999, got ${o.tables}`)
  if (!Number.isInteger(o.columnsPerTable) || o.columnsPerTable < 3) throw new Error('columnsPerTable must be at least 3')
  if (!Number.isInteger(o.schemas) || o.schemas < 1 || o.schemas > 100) throw new Error('schemas must be 1..100')
  return o
}

/** How many of 1..n are multiples of k. */
const multiples = (n: number, k: number) => Math.floor(n / k)

/** What `createWideSchema` builds with these options: the exact numbers tests assert. */
export function wideSchemaCounts(opts: WideSchemaOptions = {}): WideSchemaCounts {
  const o = resolve(opts)
  return {
    tables: o.tables,
    columns: o.tables * o.columnsPerTable,
    schemas: o.schemas,
    foreignKeys: multiples(o.tables, 5),
    extraIndexes: multiples(o.tables, 4),
    identitySequences: multiples(o.tables, 10),
    triggers: multiples(o.tables, 500),
    comments: multiples(o.tables, 100),
    enums: WIDE_ENUMS,
    auditNoteTables: multiples(o.tables, 50),
  }
}

/** The schema names the builder uses: `wide_0` … `wide_<schemas-1>`. */
export function wideSchemaNames(opts: WideSchemaOptions = {}): string[] {
  const { schemas } = resolve(opts)
  return Array.from({ length: schemas }, (_, i) => `wide_${i}`)
}

/**
 * Builds the wide schema in the connected database, which must not have the `wide_*` schemas yet.
 * 5,000 tables × 10 columns take a few seconds to a few tens of seconds, depending on the disk.
 */
export async function createWideSchema(db: Kysely<any>, opts: WideSchemaOptions = {}): Promise<WideSchemaCounts> {
  const o = resolve(opts)
  await sql`
    do $$
    begin
      for s in 0 .. ${sql.lit(o.schemas)} - 1 loop
        execute format('create schema %I', 'wide_' || s);
      end loop;
      for k in 0 .. ${sql.lit(WIDE_ENUMS)} - 1 loop
        execute format('create type wide_0.%I as enum (%L, %L, %L)', 'mood_' || k, 'calm', 'busy', 'k' || k);
      end loop;
      create function wide_0.touch() returns trigger language plpgsql as 'begin return new; end';
    end $$
  `.execute(db)
  const batches: [number, number][] = []
  for (let from = 1; from <= o.tables; from += BATCH) batches.push([from, Math.min(from + BATCH - 1, o.tables)])
  // Batches are independent (a batch starts at 1 mod 5, so a table's foreign key target is in its
  // own batch): two sessions build them side by side.
  const worker = () =>
    db.connection().execute(async (conn) => {
      await sql`select set_config('wide.schemas', ${String(o.schemas)}, false), set_config('wide.columns', ${String(o.columnsPerTable)}, false)`.execute(conn)
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        await sql`select set_config('wide.from', ${String(batch[0])}, false), set_config('wide.to', ${String(batch[1])}, false)`.execute(conn)
        await createBatch(conn)
      }
    })
  await Promise.all([worker(), worker()])
  await sql`comment on schema wide_0 is ${sql.lit(describeWide(o))}`.execute(db)
  return wideSchemaCounts(o)
}

/** Tables wide.from … wide.to of the session's settings, in one DO block: its own transaction. */
async function createBatch(conn: Kysely<any>): Promise<void> {
  await sql`
    do $$
    declare
      schemas int := current_setting('wide.schemas')::int;
      ncols int := current_setting('wide.columns')::int;
      types text[] := array['integer', 'text', 'timestamptz default now()', 'numeric(12,2)',
                            'boolean default false', 'wide_0.mood_', 'varchar(40)', 'jsonb'];
      tbl text; prev text; cols text[]; col text; typ text;
    begin
      for i in current_setting('wide.from')::int .. current_setting('wide.to')::int loop
        tbl := format('%I.%I', 'wide_' || (i % schemas), 't_' || lpad(i::text, 5, '0'));
        prev := format('%I.%I', 'wide_' || ((i - 1) % schemas), 't_' || lpad((i - 1)::text, 5, '0'));
        cols := array[case when i % 10 = 0 then 'id bigint generated by default as identity primary key'
                           else 'id bigint primary key' end];
        for j in 2 .. ncols loop
          if j = 2 and i % 5 = 0 then
            col := format('parent_id bigint references %s (id)', prev);
          elsif j = ncols and i % 50 = 0 then
            col := 'audit_note text';
          else
            typ := types[1 + (i + j) % 8];
            if typ = 'wide_0.mood_' then typ := typ || (i % 3); end if;
            col := format('%I %s', 'c_' || j, typ);
          end if;
          cols := cols || col;
        end loop;
        execute format('create table %s (%s)', tbl, array_to_string(cols, ', '));
        if i % 4 = 0 then
          execute format('create index %I on %s (%I)', 'ix_' || lpad(i::text, 5, '0'), tbl,
                         case when i % 5 = 0 then 'parent_id' else 'c_2' end);
        end if;
        if i % 100 = 0 then
          execute format('comment on table %s is %L', tbl, 'wide table ' || i);
        end if;
        if i % 500 = 0 then
          execute format('create trigger touch before update on %s for each row execute function wide_0.touch()', tbl);
        end if;
      end loop;
    end $$
  `.execute(conn)
}

/** The comment left on `wide_0`, by which a benchmark recognises a schema it built before. */
export function describeWide(opts: WideSchemaOptions = {}): string {
  const o = resolve(opts)
  return `wide schema: ${o.tables} tables x ${o.columnsPerTable} columns in ${o.schemas} schemas`
}
