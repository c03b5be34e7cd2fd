export function CardsSkeleton({ count }: { count: number }) {
  return (
    <div className="grid" aria-busy="true">
      {Array.from({ length: count }, (_, i) => (
        <div className="card" key={i}>
          <div className="skeleton" style={{ width: '40%' }} />
          <div className="skeleton" style={{ width: '70%', height: 26 }} />
        </div>
      ))}
    </div>
  )
}

export function TableSkeleton({ rows }: { rows: number }) {
  return (
    <div className="card" aria-busy="true">
      {Array.from({ length: rows }, (_, i) => (
        <div className="skeleton" key={i} />
      ))}
    </div>
  )
}

export function PageLoading() {
  return <TableSkeleton rows={6} />
}
