'use client'

import { Bar, BarChart, LabelList, XAxis, YAxis } from 'recharts'

/** Users per role as horizontal recharts bars, in the order given (most users first), the count at each bar's end. */
export function RoleChart({ counts }: { counts: { role: string | null; users: number }[] }) {
  if (counts.length === 0) return <p className="muted">No users.</p>
  const rows = counts.map((c) => ({ role: c.role ?? 'NULL', users: c.users }))
  return (
    <div className="role-chart" role="img" aria-label={`Users per role: ${rows.map((c) => `${c.role} ${c.users}`).join(', ')}`} data-testid="role-chart">
      <BarChart layout="vertical" width={420} height={rows.length * 22 + 8} data={rows} margin={{ top: 2, right: 40, bottom: 2, left: 0 }} accessibilityLayer={false}>
        <XAxis type="number" hide domain={[0, 'dataMax']} />
        <YAxis type="category" dataKey="role" width={110} tickLine={false} axisLine={false} tick={{ fill: 'var(--text)', fontSize: 12, fontFamily: 'var(--font-mono)' }} interval={0} />
        <Bar dataKey="users" fill="var(--chart-bar)" barSize={14} radius={2} isAnimationActive={false} minPointSize={1}>
          <LabelList dataKey="users" position="right" fill="var(--muted)" fontSize={12} />
        </Bar>
      </BarChart>
    </div>
  )
}
