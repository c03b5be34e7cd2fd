import { Fragment, type ReactNode } from 'react'
import { DataTable } from '@/components/data-table'
import { WidgetError } from '@/components/widget-error'
import { alembicVersionsDir } from '@/lib/alembic/settings'
import { migratorDb } from '@/lib/db/server-dbs'
import { type AlembicGraph, type AlembicRevision, alembicGraph, readAlembicRevisions } from '@/lib/migrations/alembic-graph'
import { type ForeignHistory, readForeignHistories } from '@/lib/migrations/foreign-history'
import { serverEnv } from '@/lib/runtime/server-env'
import { DOR_MIGRATION_TABLE } from '@/migrations'

const NEWEST = 10

/** `like this` in a problem's text as code. */
function withCode(text: string): ReactNode {
  return text.split(/(`[^`]+`)/).map((part, i) =>
    part.startsWith('`') && part.endsWith('`') && part.length > 1 ? <code key={i}>{part.slice(1, -1)}</code> : <Fragment key={i}>{part}</Fragment>,
  )
}

function list(items: string[]): ReactNode {
  if (items.length === 0) return <span className="muted">none</span>
  return items.map((x, i) => (
    <Fragment key={x}>
      {i ? ', ' : ''}
      <code>{x}</code>
    </Fragment>
  ))
}

/** Where an applied Alembic revision stands in the versions folder. */
function AlembicPlace({ revision, graph }: { revision: string; graph: AlembicGraph }) {
  if (graph.heads.includes(revision)) return <span className="badge ok">head</span>
  if (graph.revisions.some((r) => r.revision === revision)) {
    return (
      <span className="badge warn" title="Newer revisions build on it in the versions folder">
        upgrade pending
      </span>
    )
  }
  return <span className="badge bad">not in the versions folder</span>
}

function ForeignTable({ h, graph }: { h: ForeignHistory; graph: AlembicGraph | null }) {
  const alembic = h.tool === 'alembic'
  const entries = h.entries.slice(0, NEWEST)
  return (
    <div className="foreign-history" data-tool={h.tool} data-table={`${h.schema}.${h.table}`}>
      <h3>
        {h.tool} · <span className="mono">{h.schema}.{h.table}</span>
      </h3>
      <p className="foreign-current">
        Current {h.current.length === 1 ? 'revision' : 'revisions'}:{' '}
        {h.current.length === 0 ? <span className="muted">none</span> : null}
        {h.current.map((c, i) => (
          <Fragment key={c}>
            {i ? ', ' : ''}
            <code>{c}</code>
            {alembic && graph ? (
              <>
                {' '}
                <AlembicPlace revision={c} graph={graph} />
              </>
            ) : null}
          </Fragment>
        ))}
        {h.current.length > 1 ? (
          <>
            {' '}
            <span className="badge warn" data-testid="multiple-heads-applied">
              multiple heads applied
            </span>
          </>
        ) : null}
      </p>
      {alembic ? (
        <p className="muted small">
          Alembic keeps no history, only the current revision of each applied head
          {h.current.length > 1 ? (
            <>
              : several branches were upgraded separately; <code>alembic merge heads</code> joins them
            </>
          ) : null}
          .
        </p>
      ) : entries.length === 0 ? (
        <p className="muted small">No entries.</p>
      ) : (
        <div>
          <DataTable
            label={`${h.tool} history in ${h.schema}.${h.table}`}
            className="foreign-entries"
            rows={entries}
            rowKey={(e, i) => `${e.id}-${i}`}
            empty="No entries."
            columns={[
              { key: 'version', label: 'Version', value: (e) => e.id, mono: true },
              { key: 'description', label: 'Description', value: (e) => e.description },
              { key: 'applied-at', label: 'Applied at', value: (e) => e.appliedAt, format: 'timestamp' },
              {
                key: 'success',
                label: 'Success',
                cell: (e) =>
                  e.success === null ? (
                    <span className="muted">–</span>
                  ) : e.success ? (
                    <span className="badge ok">✓ yes</span>
                  ) : (
                    <span className="badge bad">✗ failed</span>
                  ),
              },
            ]}
          />
          <p className="muted small">
            {h.total > entries.length ? `The newest ${entries.length} of ${h.total} entries.` : `All ${h.total} entries.`}
          </p>
        </div>
      )}
    </div>
  )
}

interface TreeNode {
  rev: AlembicRevision
  children: TreeNode[]
  /** Merges drawn under their first parent; under the others, a pointer. */
  mergesInto: string[]
}

/**
 * The revisions as a tree from each base: a revision sits under its first known down revision, so
 * every drawn revision has one place and the tree has no cycle. Revisions that no base reaches (a
 * cycle in down_revision) are returned apart, so that none is hidden.
 */
function revisionTree(graph: AlembicGraph): { roots: TreeNode[]; unreachable: string[] } {
  const byId = new Map(graph.revisions.map((r) => [r.revision, r]))
  const nodes = new Map(graph.revisions.map((r) => [r.revision, { rev: r, children: [], mergesInto: [] } as TreeNode]))
  const roots: TreeNode[] = []
  for (const r of graph.revisions) {
    const node = nodes.get(r.revision)!
    const parents = r.downRevisions.filter((d) => byId.has(d) && d !== r.revision)
    if (parents.length === 0) roots.push(node)
    else {
      nodes.get(parents[0])!.children.push(node)
      for (const p of parents.slice(1)) nodes.get(p)!.mergesInto.push(r.revision)
    }
  }
  const reached = new Set<string>()
  const stack = [...roots]
  while (stack.length) {
    const n = stack.pop()!
    reached.add(n.rev.revision)
    stack.push(...n.children)
  }
  return { roots, unreachable: graph.revisions.map((r) => r.revision).filter((id) => !reached.has(id)) }
}

function RevisionNode({ node, graph }: { node: TreeNode; graph: AlembicGraph }) {
  const r = node.rev
  return (
    <li data-revision={r.revision}>
      <code>{r.revision}</code> {graph.heads.includes(r.revision) ? <span className="badge ok">head</span> : null}{' '}
      {r.downRevisions.length === 0 ? <span className="badge muted">base</span> : null}{' '}
      {graph.branchPoints.includes(r.revision) ? <span className="badge warn">branch point</span> : null}{' '}
      {graph.merges.includes(r.revision) ? <span className="badge">merge</span> : null}{' '}
      {r.message ? <span>{r.message}</span> : null}{' '}
      <span className="muted small">
        {r.file}
        {r.downRevisions.length ? <> · down: {r.downRevisions.join(', ')}</> : null}
      </span>
      {node.mergesInto.map((m) => (
        <div key={m} className="muted small">
          ↳ merged into <code>{m}</code>
        </div>
      ))}
      {node.children.length ? (
        <ul className="impact-tree">
          {node.children.map((c) => (
            <RevisionNode key={c.rev.revision} node={c} graph={graph} />
          ))}
        </ul>
      ) : null}
    </li>
  )
}

function AlembicFolder({ dir, graph, error }: { dir: string; graph: AlembicGraph | null; error: string | null }) {
  const { roots, unreachable } = graph ? revisionTree(graph) : { roots: [], unreachable: [] }
  return (
    <div className="alembic-graph" data-testid="alembic-graph">
      <h3>
        Alembic revisions in <span className="mono">{dir}</span>
      </h3>
      {error ? <div className="banner bad">Could not read the revision files: {error}</div> : null}
      {graph && graph.problems.length ? (
        <div className="banner bad" role="alert" data-testid="alembic-problems">
          <ul className="plain">
            {graph.problems.map((p) => (
              <li key={p}>{withCode(p)}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {graph ? (
        graph.revisions.length === 0 ? (
          <p className="muted">
            No revision files (a .py file with a <code>revision = …</code> line) in this folder.
          </p>
        ) : (
          <>
            <p className="alembic-summary">
              {graph.revisions.length} revision{graph.revisions.length === 1 ? '' : 's'} · heads: {list(graph.heads)} · bases:{' '}
              {list(graph.roots)} · branch points: {list(graph.branchPoints)} · merges: {list(graph.merges)} · missing:{' '}
              {list(graph.missing)}
            </p>
            <ul className="impact-tree alembic-tree">
              {roots.map((n) => (
                <RevisionNode key={n.rev.revision} node={n} graph={graph} />
              ))}
            </ul>
            {unreachable.length ? (
              <p className="muted small">Not reachable from a base (a cycle in down_revision): {list(unreachable)}</p>
            ) : null}
          </>
        )
      ) : null}
    </div>
  )
}

/** Other tools' migration tables in the target, and the Alembic versions folder when configured. Read-only. */
export async function OtherTools() {
  let histories: ForeignHistory[]
  try {
    histories = await readForeignHistories(migratorDb(), DOR_MIGRATION_TABLE)
  } catch (e) {
    return <WidgetError title="Other tools" error={e} />
  }
  const env = serverEnv()
  const dir = env.alembicVersionsDir ?? (env.alembic ? alembicVersionsDir(env.alembic) : null)
  let graph: AlembicGraph | null = null
  let error: string | null = null
  if (dir) {
    try {
      graph = alembicGraph(readAlembicRevisions(dir))
    } catch (e) {
      error = (e as Error)?.message ?? String(e)
    }
  }
  return (
    <section className="card other-tools" aria-labelledby="other-tools-title" data-testid="other-tools">
      <h2 id="other-tools-title">Other tools</h2>
      <p className="muted">
        Migration tables that other tools keep in this database (Alembic, Flyway, Prisma, Knex, Rails, golang-migrate,
        Sqitch, another Kysely app), read only here. The team&apos;s Alembic runs from the Alembic section above when
        ALEMBIC_DIR is set.
      </p>
      {histories.length === 0 ? (
        <p className="muted" data-testid="no-other-tools">
          No other tool&apos;s migration table in this database.
        </p>
      ) : (
        histories.map((h) => <ForeignTable key={`${h.schema}.${h.table}`} h={h} graph={graph} />)
      )}
      {dir ? <AlembicFolder dir={dir} graph={graph} error={error} /> : null}
    </section>
  )
}
