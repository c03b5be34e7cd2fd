import type { Threshold } from '@/lib/performance/thresholds'

const SOURCE_NAME = { runbook: 'DoR runbook', pghero: 'pghero', postgresql: 'PostgreSQL docs', project: 'this project' } as const

function shown(t: Threshold): string {
  switch (t.unit) {
    case 'ratio':
      return `${Math.round(t.value * 1000) / 10} %`
    case 'seconds':
      return t.value >= 60 ? `${t.value / 60} min` : `${t.value} s`
    case 'milliseconds':
      return `${t.value} ms`
    case 'bytes':
      return `${Math.round(t.value / 1024 / 1024)} MB`
    case 'factor':
      return `×${t.value}`
    default:
      return `${new Intl.NumberFormat('en-US').format(t.value)} ${t.unit}`
  }
}

/** A threshold as the page judges by it, with where the number comes from (hover or focus for the note). */
export function ThresholdNote({ threshold }: { threshold: Threshold }) {
  const s = threshold.source
  return (
    <span className="threshold-note muted" data-testid="threshold" title={s.note}>
      {threshold.label} {shown(threshold)}{' '}
      <span className="threshold-source">
        (source:{' '}
        {s.kind === 'postgresql' ? (
          <a href={s.url} target="_blank" rel="noreferrer">
            {SOURCE_NAME[s.kind]}
          </a>
        ) : (
          SOURCE_NAME[s.kind]
        )}
        : {s.note})
      </span>
    </span>
  )
}
