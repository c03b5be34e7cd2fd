import Link from 'next/link'

export default function DashboardNotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <div className="banner warn" role="alert" data-testid="page-not-found">
        There is no page at this address. The link may be old or mistyped.
      </div>
      <p>
        <Link href="/overview">Back to the overview</Link>
      </p>
    </>
  )
}
