import Link from 'next/link'
import { SignOutButton } from '@/components/sign-out-button'
import { requireUser } from '@/lib/auth/current-user'

export const dynamic = 'force-dynamic'

/**
 * One's own account, outside the dashboard's layout: an admin who must set up two-factor sign-in
 * first is sent here, and must be able to reach it (the dashboard's layout sends them away).
 */
export default async function AccountLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser('account.two_factor', { beforeTwoFactor: true })
  return (
    <div className="account-shell">
      <header className="topbar">
        <strong>DoR DB Admin</strong>
        <Link href="/overview">Back to the dashboard</Link>
        <span className="spacer" />
        <span data-testid="user-menu">
          {user.email} <span className="muted">({user.role})</span>
        </span>
        <SignOutButton />
      </header>
      <main className="content">{children}</main>
    </div>
  )
}
