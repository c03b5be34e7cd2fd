import type { CSSProperties } from 'react'

// How the dashboard's line charts look (Health, the Overview's last 24 hours, a statement's
// history), kept in one place so that they stay alike.

/** The tooltip box, on the theme's panel colours. */
export const TOOLTIP_STYLE: CSSProperties = { background: 'var(--panel)', border: '1px solid var(--line)', color: 'var(--text)' }

/** A visible axis: its line and its tick labels. */
export const AXIS_STYLE = { tick: { fill: 'var(--muted)', fontSize: 11 }, stroke: 'var(--line)' }

/**
 * The props of one series' `<Line>`: straight segments, a gap where a value is missing, no
 * animation. A line of one or two points (a new range, a first bucket) is drawn as dots, or it
 * would not show. `small` is the Overview's thumbnails.
 */
export function lineProps(l: { dataKey: string; colour: string; points: number; name?: string; dashed?: boolean; small?: boolean; yAxisId?: string }) {
  return {
    dataKey: l.dataKey,
    name: l.name,
    yAxisId: l.yAxisId,
    stroke: l.colour,
    strokeDasharray: l.dashed ? '5 4' : undefined,
    strokeWidth: l.small ? 1.4 : 1.6,
    dot: l.points <= 2 ? { r: l.small ? 2.5 : 3, fill: l.colour, stroke: l.colour } : (false as const),
    connectNulls: false,
    isAnimationActive: false,
    type: 'linear' as const,
  }
}
