'use client'

import Link from 'next/link'
import { useSearchParams } from 'next/navigation'
import { Suspense } from 'react'

function Message() {
  const params = useSearchParams()
  const schema = params.get('schema')
  const name = params.get('name')
  return (
    <div className="banner warn" role="alert" data-testid="table-not-found">
      {schema && name ? (
        <>
          No table “{name}” in schema “{schema}”. It may have been dropped or renamed, or the link is incomplete.
        </>
      ) : (
        <>This link does not name a table: it needs both a schema and a name.</>
      )}
    </div>
  )
}

export default function TableNotFound() {
  return (
    <>
      <h1>Table not found</h1>
      <Suspense fallback={<div className="banner warn">No such table.</div>}>
        <Message />
      </Suspense>
      <p>
        <Link href="/schema">Back to the schema</Link>
      </p>
    </>
  )
}
