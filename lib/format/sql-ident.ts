/**
 * Identifiers written into SQL shown to people (advice, copied statements), quoted as PostgreSQL's
 * quote_ident() quotes them: only when needed, so that `public.meeting` stays readable and
 * `public."user"`, `"Order; DROP TABLE x;--"` and `"ünïcode schema"` stay exact. SQL the dashboard
 * runs itself takes identifiers through sql.id() instead.
 */

/**
 * The keywords quote_ident() quotes: every category but unreserved (`select word from
 * pg_get_keywords() where catcode <> 'U'` on PostgreSQL 15), plus those later versions added below, so
 * that a statement copied from here also runs there (quoting a word that needs none changes nothing).
 */
const QUOTED_KEYWORDS = new Set(
  `
  all analyse analyze and any array as asc asymmetric authorization between bigint binary bit
  boolean both case cast char character check coalesce collate collation column concurrently
  constraint create cross current_catalog current_date current_role current_schema current_time
  current_timestamp current_user dec decimal default deferrable desc distinct do else end except
  exists extract false fetch float for foreign freeze from full grant greatest group grouping having
  ilike in initially inner inout int integer intersect interval into is isnull join lateral leading
  least left like limit localtime localtimestamp national natural nchar none normalize not notnull
  null nullif numeric offset on only or order out outer overlaps overlay placing position precision
  primary real references returning right row select session_user setof similar smallint some
  substring symmetric table tablesample then time timestamp to trailing treat trim true union unique
  user using values varchar variadic verbose when where window with xmlattributes xmlconcat
  xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
  `
    .trim()
    .split(/\s+/),
)

/** Keywords PostgreSQL 16 and 17 added (the test compares the others with 15's quote_ident()). */
export const LATER_KEYWORDS: readonly string[] = [
  'json', 'json_array', 'json_arrayagg', 'json_exists', 'json_object', 'json_objectagg', 'json_query', 'json_scalar',
  'json_serialize', 'json_table', 'json_value', 'merge_action', 'system_user',
]
for (const word of LATER_KEYWORDS) QUOTED_KEYWORDS.add(word)

export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_]*$/.test(name) && !QUOTED_KEYWORDS.has(name)) return name
  return `"${name.replaceAll('"', '""')}"`
}

/** `schema.name`, each part quoted when needed. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`
}

/** A column list as in `(a, "B")`. */
export function columnList(columns: readonly string[]): string {
  return `(${columns.map(quoteIdent).join(', ')})`
}
