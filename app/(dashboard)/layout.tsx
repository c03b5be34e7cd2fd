import Link from 'next/link'
import { Suspense } from 'react'
import { NavLinks } from '@/components/nav-links'
import { SignOutButton } from '@/components/sign-out-button'
import { ConnectionRiskBanner, TargetIdentityBar, TargetUnreachableBanner } from '@/components/target-banner'
import { requireUser } from '@/lib/auth/current-user'
import { can, type Permission } from '@/lib/auth/permissions'

export const dynamic = 'force-dynamic'

const PAGES: { href: string; label: string; permission: Permission }[] = [
  { href: '/overview', label: 'Overview', permission: 'dashboard.read' },
  { href: '/schema', label: 'Schema', permission: 'dashboard.read' },
  { href: '/migrations', label: 'Migrations', permission: 'dashboard.read' },
  { href: '/integrity', label: 'Integrity', permission: 'dashboard.read' },
  { href: '/users', label: 'Users', permission: 'users.manage' },
  { href: '/audit', label: 'Audit log', permission: 'audit.read' },
]

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser()
  const items = PAGES.filter((p) => can(user.role, p.permission))
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">DoR DB Admin</div>
        <NavLinks items={items} />
        <div className="spacer" />
        <div className="usermenu" data-testid="user-menu">
          <div>{user.email}</div>
          <div className="role" data-testid="user-role">
            {user.role}
          </div>
          <div style={{ marginTop: 8 }}>
            <Link href="/account" className="account-link">
              Your account
            </Link>
            <SignOutButton />
          </div>
        </div>
      </aside>
      <div className="main">
        <header className="topbar">
          <span className="muted">Managing</span>
          <Suspense fallback={<span className="muted">…</span>}>
            <TargetIdentityBar />
          </Suspense>
        </header>
        <main className="content">
          <Suspense fallback={null}>
            <TargetUnreachableBanner />
          </Suspense>
          <Suspense fallback={null}>
            <ConnectionRiskBanner />
          </Suspense>
          {children}
        </main>
      </div>
    </div>
  )
}
