import type { ForeignKeyEdge } from '@/lib/schema/delete-impact'
import { clip, type DiagramNode, diagramLayout } from './diagram-layout'
import { tableHref } from '@/components/table-href'

const BOX_W = 230
const BOX_H = 34
const ROW = 50
const GAP = 190
const PAD = 12
const NAME_CHARS = 30
const LABEL_CHARS = 26

function boxName(node: { schema: string; table: string }, home: string): string {
  return node.schema === home ? node.table : `${node.schema}.${node.table}`
}

function NeighbourBox({ node, x, y, home }: { node: DiagramNode; x: number; y: number; home: string }) {
  const name = boxName(node, home)
  return (
    <a href={tableHref(node.schema, node.table)} className="diagram-box">
      <title>{`${node.schema}.${node.table}`}</title>
      <rect x={x} y={y} width={BOX_W} height={BOX_H} rx={5} />
      <text x={x + BOX_W / 2} y={y + BOX_H / 2} textAnchor="middle" dominantBaseline="central">
        {clip(name, NAME_CHARS)}
      </text>
    </a>
  )
}

function EdgeLabel({ labels, x, y }: { labels: string[]; x: number; y: number }) {
  const full = labels.join(' · ')
  return (
    <text x={x} y={y} textAnchor="middle" className="diagram-label">
      <title>{full}</title>
      {clip(full, LABEL_CHARS)}
    </text>
  )
}

/**
 * This table in the middle, the tables it references on the left, the tables referencing it on
 * the right; each arrow points from the referencing table to the referenced one and carries the
 * referencing columns. Server-rendered SVG; every box links to that table's page.
 */
export function RelationshipDiagram({ edges, schema, table }: { edges: ForeignKeyEdge[]; schema: string; table: string }) {
  const layout = diagramLayout(edges, schema, table)
  const leftRows = layout.parents.length + (layout.hiddenParents ? 1 : 0)
  const rightRows = layout.children.length + (layout.hiddenChildren ? 1 : 0)
  const rows = Math.max(leftRows, rightRows, 1)
  const selfRow = layout.self.length ? 18 : 0
  const width = 3 * BOX_W + 2 * GAP + 2 * PAD
  const height = Math.max(rows * ROW - (ROW - BOX_H), BOX_H + 20) + 2 * PAD + selfRow
  const leftX = PAD
  const centerX = PAD + BOX_W + GAP
  const rightX = PAD + 2 * (BOX_W + GAP)
  const rowsTop = (n: number) => PAD + ((rows - n) * ROW) / 2
  const centerTop = PAD
  const centerH = height - 2 * PAD - selfRow
  const rowY = (n: number, i: number) => rowsTop(n) + i * ROW

  const none = layout.parents.length + layout.children.length + layout.self.length === 0
  return (
    <figure className="diagram" data-testid="relationship-diagram">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        role="group"
        aria-label={`Foreign keys of ${schema}.${table}`}
        style={{ maxWidth: '100%', height: 'auto' }}
      >
        <defs>
          <marker id="diagram-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" className="diagram-arrowhead" />
          </marker>
        </defs>
        <g className="diagram-center">
          <title>{`${schema}.${table}`}</title>
          <rect x={centerX} y={centerTop} width={BOX_W} height={centerH} rx={6} />
          <text x={centerX + BOX_W / 2} y={centerTop + centerH / 2 - 8} textAnchor="middle" dominantBaseline="central" className="diagram-schema">
            {clip(schema, NAME_CHARS)}
          </text>
          <text x={centerX + BOX_W / 2} y={centerTop + centerH / 2 + 9} textAnchor="middle" dominantBaseline="central" className="diagram-self-name">
            {clip(table, NAME_CHARS - 4)}
          </text>
        </g>
        {layout.self.length ? (
          <text x={centerX + BOX_W / 2} y={height - PAD - 2} textAnchor="middle" className="diagram-label">
            <title>{layout.self.join(' · ')}</title>↻ references itself: {clip(layout.self.join(' · '), LABEL_CHARS)}
          </text>
        ) : null}

        {layout.parents.map((node, i) => {
          const y = rowY(leftRows, i)
          const cy = y + BOX_H / 2
          return (
            <g key={JSON.stringify([node.schema, node.table])}>
              <line x1={centerX} y1={cy} x2={leftX + BOX_W} y2={cy} className="diagram-edge" markerEnd="url(#diagram-arrow)" />
              <EdgeLabel labels={node.labels} x={leftX + BOX_W + GAP / 2} y={cy - 6} />
              <NeighbourBox node={node} x={leftX} y={y} home={schema} />
            </g>
          )
        })}
        {layout.hiddenParents ? (
          <text x={leftX + BOX_W / 2} y={rowY(leftRows, leftRows - 1) + BOX_H / 2} textAnchor="middle" dominantBaseline="central" className="diagram-more">
            +{layout.hiddenParents} more
          </text>
        ) : null}

        {layout.children.map((node, i) => {
          const y = rowY(rightRows, i)
          const cy = y + BOX_H / 2
          return (
            <g key={JSON.stringify([node.schema, node.table])}>
              <line x1={rightX} y1={cy} x2={centerX + BOX_W} y2={cy} className="diagram-edge" markerEnd="url(#diagram-arrow)" />
              <EdgeLabel labels={node.labels} x={centerX + BOX_W + GAP / 2} y={cy - 6} />
              <NeighbourBox node={node} x={rightX} y={y} home={schema} />
            </g>
          )
        })}
        {layout.hiddenChildren ? (
          <text x={rightX + BOX_W / 2} y={rowY(rightRows, rightRows - 1) + BOX_H / 2} textAnchor="middle" dominantBaseline="central" className="diagram-more">
            +{layout.hiddenChildren} more
          </text>
        ) : null}
      </svg>
      <figcaption className="muted">
        {none
          ? 'No foreign key links this table to another.'
          : 'Left: tables this one references. Right: tables that reference it. Arrows point at the referenced table and carry the referencing columns.'}
        {layout.hiddenParents + layout.hiddenChildren > 0 ? ' The foreign key tables above list every link.' : null}
      </figcaption>
    </figure>
  )
}
