import Link from 'next/link'
import type { ImpactEffect, ImpactNode } from '@/lib/schema/delete-impact'
import { impactSentence, pruneImpact, type ShownImpactNode, summarizeImpact } from './delete-impact-summary'
import { tableHref } from '@/components/table-href'

/** Wide cascade graphs repeat subtrees; past this many branches the rest is counted, not drawn. */
const MAX_NODES = 300

const EFFECT: Record<ImpactEffect, { label: string; className: string }> = {
  deletes: { label: 'deletes rows (CASCADE)', className: 'bad' },
  sets_null: { label: 'sets NULL', className: 'warn' },
  sets_default: { label: 'sets default', className: 'warn' },
  blocks: { label: 'blocks the delete (NO ACTION/RESTRICT)', className: 'block' },
}

function Branches({ nodes, hidden }: { nodes: ShownImpactNode[]; hidden: number }) {
  return (
    <ul className="impact-tree">
      {nodes.map((n) => (
        <li key={JSON.stringify([n.schema, n.table, n.via])}>
          <span className={`badge ${EFFECT[n.effect].className}`}>
            {n.effect === 'blocks' ? `blocks the delete (${n.onDelete})` : EFFECT[n.effect].label}
          </span>{' '}
          <Link href={tableHref(n.schema, n.table)} className="mono">
            {n.schema}.{n.table}
          </Link>{' '}
          <span className="muted">
            via <span className="mono">{n.via}</span> (<span className="mono">{n.columns.join(', ')}</span>)
          </span>
          {n.cycle ? (
            <>
              {' '}
              <span className="badge muted" title="Reached again through a cycle of cascading foreign keys; not expanded again">
                cycle
              </span>
            </>
          ) : null}
          {n.repeated ? (
            <>
              {' '}
              <span className="badge muted" title="This table's cascade is shown in another branch above">
                see above
              </span>
            </>
          ) : null}
          {n.children.length || n.hidden ? <Branches nodes={n.children} hidden={n.hidden} /> : null}
        </li>
      ))}
      {hidden > 0 ? <li className="muted">+{hidden} more</li> : null}
    </ul>
  )
}

export function DeleteImpactTree({ tree }: { tree: ImpactNode[] }) {
  if (tree.length === 0) {
    return (
      <p className="muted" data-testid="delete-impact-summary" style={{ marginBottom: 0 }}>
        No foreign key points at this table: deleting its rows changes no other table.
      </p>
    )
  }
  const counts = summarizeImpact(tree)
  const pruned = pruneImpact(tree, MAX_NODES)
  return (
    <>
      <p data-testid="delete-impact-summary">
        <strong>{impactSentence(counts)}</strong>
        {counts.blocks ? (
          <span className="muted"> A blocking key stops the delete only when rows still reference the deleted row.</span>
        ) : null}
      </p>
      <div data-testid="delete-impact-tree">
        <Branches nodes={pruned.shown} hidden={pruned.hidden} />
      </div>
      {counts.nodes > MAX_NODES ? (
        <p className="muted">
          Showing {MAX_NODES} of {counts.nodes} branches.
        </p>
      ) : null}
    </>
  )
}
