import type { Json } from '@/lib/format/json-value'
import { formatDuration } from '@/lib/format/units'
import type { BlockingTreeNode, Session } from '@/lib/performance/activity'

function Node({ node, byPid }: { node: Json<BlockingTreeNode>; byPid: Map<number, Json<Session>> }) {
  const s = byPid.get(node.pid)
  return (
    <li data-testid="blocking-node" data-pid={node.pid} data-depth={node.depth}>
      <span className="mono">pid {node.pid}</span> {s?.user ? <span className="muted">({s.user})</span> : null}{' '}
      {node.depth === 0 ? <span className="badge bad">blocks {node.waitingBehind}</span> : null}{' '}
      {node.waitingFor ? <span className="muted">waits for {node.waitingFor.description}</span> : null}{' '}
      {s ? (
        <span className="muted">
          {s.state}
          {s.durationSeconds !== null ? `, ${formatDuration(s.durationSeconds)}` : ''}: <code>{s.queryPreview.slice(0, 120)}</code>
        </span>
      ) : null}
      {node.children.length ? (
        <ul>
          {node.children.map((c) => (
            <Node key={c.pid} node={c} byPid={byPid} />
          ))}
        </ul>
      ) : null}
    </li>
  )
}

/** Who blocks whom: each root holds a lock the sessions under it wait for, with the lock each asked for. */
export function BlockingTree({ roots, sessions }: { roots: Json<BlockingTreeNode>[]; sessions: Json<Session>[] }) {
  const byPid = new Map(sessions.map((s) => [s.pid, s]))
  return (
    <ul className="blocking-tree" data-testid="blocking-tree">
      {roots.map((r) => (
        <Node key={r.pid} node={r} byPid={byPid} />
      ))}
    </ul>
  )
}
