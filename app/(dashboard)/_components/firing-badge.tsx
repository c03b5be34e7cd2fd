import Link from 'next/link'
import { countFiring } from '@/lib/alerts/alert-store'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'

/** On every page, beside the target: how many alerts fire now, linking to them. Nothing when none does. */
export async function FiringBadge() {
  let n: number
  try {
    n = await countFiring(stateDb(), (await targetIdentity(targetDb())).key)
  } catch {
    // The target or state database not answering is shown by the banners; no count to give.
    return null
  }
  if (n === 0) return null
  return (
    <Link href="/alerts" className="badge bad firing-badge" data-testid="firing-badge">
      {n} alert{n === 1 ? '' : 's'} firing
    </Link>
  )
}
