import type { ExplainResult } from '@/lib/performance/explain'
import type { PlanNode } from '@/lib/performance/plan-tree'
import { formatMs } from '@/lib/format/units'

function label(n: PlanNode): string {
  const on = n.relation ? ` on ${n.schema ? `${n.schema}.` : ''}${n.relation}${n.alias && n.alias !== n.relation ? ` ${n.alias}` : ''}` : ''
  const using = n.index ? ` using ${n.index}` : ''
  return `${n.joinType ? `${n.joinType} ` : ''}${n.nodeType}${using}${on}`
}

function Node({ n }: { n: PlanNode }) {
  return (
    <li className={`plan-node${n.costliest ? ' costliest' : ''}`} data-testid="plan-node" data-costliest={n.costliest}>
      <span className="plan-label">
        <strong>{label(n)}</strong>{' '}
        <span className="muted">
          cost {n.totalCost.toFixed(2)}, est. {n.planRows} rows
          {n.actual ? `; actual ${n.actual.rows} rows × ${n.actual.loops} loops, ${formatMs(n.inclusiveMs)} (self ${formatMs(n.exclusiveMs)})` : ''}
        </span>
        {n.costliest ? <span className="badge bad">costliest</span> : null}
        {n.misestimate ? (
          <span className="plan-miss">
            {' '}
            rows {n.misestimate.direction === 'under' ? 'under' : 'over'}estimated ×{Math.round(n.misestimate.factor)}
          </span>
        ) : null}
      </span>
      {Object.keys(n.details).length ? (
        <div className="muted mono">
          {Object.entries(n.details)
            .filter(([k]) => /Cond|Filter|Key|Removed/.test(k))
            .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join('; ')}
        </div>
      ) : null}
      {n.children.length ? (
        <ul>
          {n.children.map((c) => (
            <Node key={c.id} n={c} />
          ))}
        </ul>
      ) : null}
    </li>
  )
}

/** A plan as a tree: time and rows per node, estimate-versus-actual misses, the costliest node marked. */
export function PlanView({ result }: { result: Omit<ExplainResult, 'json'> }) {
  const p = result.plan
  return (
    <div data-testid="plan">
      <p className="muted">
        {result.parameterTypes.length ? `Parameters: ${result.parameterTypes.map((t, i) => `$${i + 1} ${t}`).join(', ')}. ` : ''}
        {p.planningMs !== null ? `Planning ${formatMs(p.planningMs)}. ` : ''}
        {p.executionMs !== null ? `Execution ${formatMs(p.executionMs)}. ` : ''}
        {p.misses.length ? `${p.misses.length} row estimate(s) off by ×10 or more.` : ''}
      </p>
      <ul className="plan-tree">
        <Node n={p.root} />
      </ul>
    </div>
  )
}
