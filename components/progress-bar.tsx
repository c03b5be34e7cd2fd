/** A bar for `done` of `total` with its label beside it; an unknown total shows an empty bar. */
export function ProgressBar({ label, done, total, children, testId }: { label: string; done: number; total: number; children: React.ReactNode; testId?: string }) {
  const share = total > 0 ? Math.min(done / total, 1) : 0
  return (
    <div className="integrity-progress" data-testid={testId}>
      <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total || 1} aria-valuenow={Math.min(done, total || 1)}>
        <span className="progress-fill" style={{ width: `${(share * 100).toFixed(1)}%` }} />
      </div>
      <span className="muted">{children}</span>
    </div>
  )
}
