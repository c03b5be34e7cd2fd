import {
  canonicalJson,
  compareText,
  type SchemaSnapshot,
  type SnapshotColumn,
  type SnapshotConstraint,
  type SnapshotEnum,
  type SnapshotForeignKey,
  type SnapshotIndex,
  type SnapshotRelation,
  type SnapshotSequence,
  type SnapshotTrigger,
} from './snapshot'
import type { RelationKind } from './types'

export type SchemaObjectKind =
  | 'schema'
  | 'table'
  | 'view'
  | 'materialized_view'
  | 'column'
  | 'constraint'
  | 'foreign_key'
  | 'index'
  | 'trigger'
  | 'enum'
  | 'enum_value'
  | 'sequence'

export interface SchemaChange {
  object: SchemaObjectKind
  change: 'added' | 'removed' | 'changed'
  schema: string
  /** The table (or view) a column, constraint, foreign key, index or trigger belongs to. */
  table?: string
  /** For an enum_value: the enum's name; the label is in `before` / `after`. */
  name: string
  /** One readable line: what was added or removed, or each changed property as `old → new`. */
  detail: string
  before?: unknown
  after?: unknown
}

export interface SchemaDiff {
  changes: SchemaChange[]
  summary: { added: number; removed: number; changed: number }
}

// Within one schema and table, the container reads before what it contains.
const OBJECT_ORDER: SchemaObjectKind[] = [
  'schema',
  'table',
  'view',
  'materialized_view',
  'column',
  'constraint',
  'foreign_key',
  'index',
  'trigger',
  'enum',
  'enum_value',
  'sequence',
]

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b)
const orNone = (v: string | null) => v ?? 'none'
const relName = (r: { schema: string; name: string } | null) => (r ? `${r.schema}.${r.name}` : 'none')
const KIND_LABEL: Record<RelationKind, string> = {
  table: 'table',
  partitioned_table: 'partitioned table',
  view: 'view',
  materialized_view: 'materialized view',
  foreign_table: 'foreign table',
}
const TRIGGER_STATE: Record<SnapshotTrigger['enabled'], string> = {
  O: 'enabled',
  D: 'disabled',
  R: 'enabled on replica',
  A: 'enabled always',
}

function objectOf(kind: RelationKind): SchemaObjectKind {
  return kind === 'view' || kind === 'materialized_view' ? kind : 'table'
}

/** `label old → new` when the two differ, else nothing. */
function part<T>(out: string[], a: T, b: T, fmt: (v: T) => string, label = '') {
  if (!same(a, b)) out.push(`${label}${fmt(a)} → ${fmt(b)}`)
}

const validity = (v: boolean) => (v ? 'validated' : 'NOT VALID')
// pg_get_constraintdef appends NOT VALID; validity is reported on its own, so it must not also read as a definition change.
const stripNotValid = (d: string) => d.replace(/ NOT VALID$/, '')

function commentPart(out: string[], a: string | null, b: string | null) {
  if (a === b) return
  out.push(a === null ? 'comment added' : b === null ? 'comment removed' : 'comment changed')
}

function describeColumn(c: SnapshotColumn): string {
  let s = c.type + (c.nullable ? '' : ' NOT NULL')
  if (c.default !== null) s += ` default ${c.default}`
  if (c.identity) s += ` identity ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'}`
  if (c.generated !== null) s += ` generated as ${c.generated}`
  return s
}

function columnParts(a: SnapshotColumn, b: SnapshotColumn): string[] {
  const out: string[] = []
  part(out, a.type, b.type, String, 'type ')
  part(out, a.nullable, b.nullable, (v) => (v ? 'nullable' : 'NOT NULL'))
  part(out, a.default, b.default, orNone, 'default ')
  part(out, a.identity, b.identity, (v) => (v === null ? 'none' : v === 'always' ? 'ALWAYS' : 'BY DEFAULT'), 'identity ')
  part(out, a.generated, b.generated, orNone, 'generated ')
  commentPart(out, a.comment, b.comment)
  return out
}

function constraintParts(a: SnapshotConstraint, b: SnapshotConstraint): string[] {
  const out: string[] = []
  part(out, a.kind, b.kind, (k) => k.replace('_', ' '), 'kind ')
  part(out, stripNotValid(a.definition), stripNotValid(b.definition), String)
  part(out, a.validated, b.validated, validity)
  return out
}

function foreignKeyParts(a: SnapshotForeignKey, b: SnapshotForeignKey): string[] {
  const out: string[] = []
  const key = (f: SnapshotForeignKey) => `(${f.columns.join(', ')}) references ${f.refSchema}.${f.refTable}(${f.refColumns.join(', ')})`
  part(out, key(a), key(b), String)
  part(out, a.onDelete, b.onDelete, String, 'ON DELETE ')
  part(out, a.onUpdate, b.onUpdate, String, 'ON UPDATE ')
  const deferral = (f: SnapshotForeignKey) =>
    f.deferrable ? `DEFERRABLE INITIALLY ${f.initiallyDeferred ? 'DEFERRED' : 'IMMEDIATE'}` : 'NOT DEFERRABLE'
  part(out, deferral(a), deferral(b), String)
  part(out, a.validated, b.validated, validity)
  // MATCH FULL and the like live only in the definition.
  if (out.length === 0) part(out, a.definition, b.definition, String)
  return out
}

function indexParts(a: SnapshotIndex, b: SnapshotIndex): string[] {
  const out: string[] = []
  part(out, a.definition, b.definition, String)
  part(out, a.valid, b.valid, (v) => (v ? 'valid' : 'INVALID'))
  part(out, a.constraint, b.constraint, orNone, 'constraint ')
  return out
}

function triggerParts(a: SnapshotTrigger, b: SnapshotTrigger): string[] {
  const out: string[] = []
  part(out, a.definition, b.definition, String)
  part(out, a.enabled, b.enabled, (v) => TRIGGER_STATE[v])
  return out
}

function sequenceParts(a: SnapshotSequence, b: SnapshotSequence): string[] {
  const out: string[] = []
  part(out, a.dataType, b.dataType, String, 'type ')
  part(out, a.startValue, b.startValue, String, 'start ')
  part(out, a.minValue, b.minValue, String, 'min ')
  part(out, a.maxValue, b.maxValue, String, 'max ')
  part(out, a.increment, b.increment, String, 'increment ')
  part(out, a.cycle, b.cycle, (v) => (v ? 'CYCLE' : 'NO CYCLE'))
  const owner = (o: SnapshotSequence['ownedBy']) => (o ? `${o.schema}.${o.table}.${o.column}` : 'none')
  part(out, a.ownedBy, b.ownedBy, owner, 'owned by ')
  return out
}

function relationParts(a: SnapshotRelation, b: SnapshotRelation): string[] {
  const out: string[] = []
  part(out, a.kind, b.kind, (k) => KIND_LABEL[k], 'kind ')
  part(out, a.partitionOf, b.partitionOf, relName, 'partition of ')
  if (a.viewDefinition !== b.viewDefinition) {
    out.push(a.viewDefinition === null ? 'definition added' : b.viewDefinition === null ? 'definition removed' : 'definition changed')
  }
  commentPart(out, a.comment, b.comment)
  return out
}

/** Pairs two lists by a key; keys are JSON arrays of names so that no name can collide with another. */
function match<T>(before: T[], after: T[], key: (x: T) => string) {
  const old = new Map(before.map((x) => [key(x), x]))
  const now = new Map(after.map((x) => [key(x), x]))
  return {
    removed: before.filter((x) => !now.has(key(x))),
    added: after.filter((x) => !old.has(key(x))),
    both: before.filter((x) => now.has(key(x))).map((x) => [x, now.get(key(x))!] as const),
  }
}

// A column's attnum is shown, never compared: down/up gives a re-added column a new one.
const withoutPosition = ({ position: _position, ...rest }: { name: string; position?: number }) => rest
const named = (x: { name: string }) => JSON.stringify([x.name])
const qualified = (x: { schema: string; name: string }) => JSON.stringify([x.schema, x.name])
const header = ({ columns: _c, constraints: _k, foreignKeys: _f, indexes: _i, triggers: _t, ...rest }: SnapshotRelation) => rest

export function diffSnapshots(before: SchemaSnapshot, after: SchemaSnapshot): SchemaDiff {
  const changes: SchemaChange[] = []
  const emit = (c: SchemaChange) => changes.push(c)

  /** Added and removed objects of one kind, and `old → new` lines for those in both. */
  function compare<T extends { name: string }>(
    object: SchemaObjectKind,
    place: (x: T) => { schema: string; table?: string },
    a: T[],
    b: T[],
    key: (x: T) => string,
    describe: (x: T) => string,
    parts: (x: T, y: T) => string[],
  ) {
    const m = match(a, b, key)
    for (const x of m.removed) emit({ object, change: 'removed', ...place(x), name: x.name, detail: describe(x), before: x })
    for (const x of m.added) emit({ object, change: 'added', ...place(x), name: x.name, detail: describe(x), after: x })
    for (const [x, y] of m.both) {
      const lines = parts(x, y)
      // Every snapshot field has a line above; this keeps "equal fingerprints ⇔ no change" true if one is forgotten.
      if (lines.length === 0 && !same(withoutPosition(x), withoutPosition(y))) lines.push('changed')
      if (lines.length) emit({ object, change: 'changed', ...place(y), name: y.name, detail: lines.join('; '), before: x, after: y })
    }
  }

  const schemas = match(before.schemas, after.schemas, (s) => s)
  for (const s of schemas.removed) emit({ object: 'schema', change: 'removed', schema: s, name: s, detail: 'schema' })
  for (const s of schemas.added) emit({ object: 'schema', change: 'added', schema: s, name: s, detail: 'schema' })

  const rels = match(before.relations, after.relations, qualified)
  const describeRel = (r: SnapshotRelation) => `${KIND_LABEL[r.kind]}, ${r.columns.length} column${r.columns.length === 1 ? '' : 's'}`
  for (const r of rels.removed) emit({ object: objectOf(r.kind), change: 'removed', schema: r.schema, name: r.name, detail: describeRel(r), before: r })
  for (const r of rels.added) emit({ object: objectOf(r.kind), change: 'added', schema: r.schema, name: r.name, detail: describeRel(r), after: r })
  for (const [x, y] of rels.both) {
    const lines = relationParts(x, y)
    // Columns, indexes and the rest get their own lines below, so the table's own line carries only its header.
    if (lines.length) {
      emit({ object: objectOf(y.kind), change: 'changed', schema: y.schema, name: y.name, detail: lines.join('; '), before: header(x), after: header(y) })
    }
    const at = () => ({ schema: y.schema, table: y.name })
    compare('column', at, x.columns, y.columns, named, describeColumn, columnParts)
    compare('constraint', at, x.constraints, y.constraints, named, (c) => c.definition, constraintParts)
    compare('foreign_key', at, x.foreignKeys, y.foreignKeys, named, (f) => f.definition, foreignKeyParts)
    compare('index', at, x.indexes, y.indexes, named, (i) => i.definition + (i.valid ? '' : ' (INVALID)'), indexParts)
    compare('trigger', at, x.triggers, y.triggers, named, (g) => g.definition + (g.enabled === 'D' ? ' (disabled)' : ''), triggerParts)
  }

  const labels = (vs: string[]) => vs.map((v) => `'${v}'`).join(', ')
  const enums = match(before.enums, after.enums, qualified)
  for (const e of enums.removed) emit({ object: 'enum', change: 'removed', schema: e.schema, name: e.name, detail: `values ${labels(e.values)}`, before: e })
  for (const e of enums.added) emit({ object: 'enum', change: 'added', schema: e.schema, name: e.name, detail: `values ${labels(e.values)}`, after: e })
  for (const [x, y] of enums.both) enumChanges(x, y, emit)

  const describeSeq = (q: SnapshotSequence) => `${q.dataType} start ${q.startValue} increment ${q.increment}`
  compare('sequence', (q) => ({ schema: q.schema }), before.sequences, after.sequences, qualified, describeSeq, sequenceParts)

  changes.sort(
    (a, b) =>
      compareText(a.schema, b.schema) ||
      compareText(a.table ?? '', b.table ?? '') ||
      OBJECT_ORDER.indexOf(a.object) - OBJECT_ORDER.indexOf(b.object) ||
      compareText(a.name, b.name) ||
      compareText(a.detail, b.detail),
  )
  const count = (c: SchemaChange['change']) => changes.filter((x) => x.change === c).length
  return { changes, summary: { added: count('added'), removed: count('removed'), changed: count('changed') } }
}

function enumChanges(x: SnapshotEnum, y: SnapshotEnum, emit: (c: SchemaChange) => void) {
  const base = { schema: y.schema, name: y.name }
  const old = new Set(x.values)
  const now = new Set(y.values)
  for (const v of x.values) if (!now.has(v)) emit({ object: 'enum_value', change: 'removed', ...base, detail: `value '${v}' removed`, before: v })
  for (const v of y.values) if (!old.has(v)) emit({ object: 'enum_value', change: 'added', ...base, detail: `value '${v}' added`, after: v })
  // A value added BEFORE another is not a reorder; only a different order of the labels both sides share is.
  const kept = (vs: string[], other: Set<string>) => vs.filter((v) => other.has(v))
  if (!same(kept(x.values, now), kept(y.values, old))) {
    emit({ object: 'enum', change: 'changed', ...base, detail: 'labels reordered', before: x.values, after: y.values })
  }
}
