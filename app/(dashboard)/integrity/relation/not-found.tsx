import Link from 'next/link'

export default function RelationNotFound() {
  return (
    <>
      <h1>Orphans</h1>
      <div className="banner warn">
        That is not a relation the integrity checks know (a foreign key, an accepted soft relation or a suggestion).{' '}
        <Link href="/integrity#relations">Back to integrity</Link>
      </div>
    </>
  )
}
