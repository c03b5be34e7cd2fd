import Link from 'next/link'
import { Suspense } from 'react'
import { MenuToggle } from '@/components/menu-toggle'
import { NavLinks } from '@/components/nav-links'
import { QueryProvider } from '@/components/query-provider'
import { SignOutButton } from '@/components/sign-out-button'
import { ConnectionRiskBanner, TargetIdentityBar, TargetUnreachableBanner } from '@/components/target-banner'
import { currentTheme } from '@/lib/auth/current-theme'
import { requireUser } from '@/lib/auth/current-user'
import { can, type Permission } from '@/lib/auth/permissions'
import { FiringBadge } from './_components/firing-badge'
import { ThemeSwitch } from './_components/theme-switch'

export const dynamic = 'force-dynamic'

const PAGES: { href: string; label: string; permission: Permission }[] = [
  { href: '/overview', label: 'Overview', permission: 'dashboard.read' },
  { href: '/health', label: 'Health', permission: 'dashboard.read' },
  { href: '/schema', label: 'Schema', permission: 'dashboard.read' },
  { href: '/migrations', label: 'Migrations', permission: 'dashboard.read' },
  { href: '/integrity', label: 'Integrity', permission: 'dashboard.read' },
  { href: '/jobs', label: 'Jobs', permission: 'dashboard.read' },
  { href: '/backups', label: 'Backups', permission: 'dashboard.read' },
  { href: '/activity', label: 'Activity', permission: 'dashboard.read' },
  { href: '/slow-queries', label: 'Slow queries', permission: 'dashboard.read' },
  { href: '/indexes', label: 'Indexes', permission: 'dashboard.read' },
  { href: '/tables', label: 'Tables', permission: 'dashboard.read' },
  { href: '/connections', label: 'Connections', permission: 'dashboard.read' },
  { href: '/settings', label: 'Settings', permission: 'dashboard.read' },
  { href: '/alerts', label: 'Alerts', permission: 'dashboard.read' },
  { href: '/users', label: 'Users', permission: 'users.manage' },
  { href: '/audit', label: 'Audit log', permission: 'audit.read' },
  { href: '/security', label: 'Security', permission: 'security.read' },
]

function Logo() {
  return (
    <svg viewBox="0 0 32 32" aria-hidden="true">
      <g fill="none" stroke="#6d9cff" strokeWidth="2.2">
        <ellipse cx="16" cy="9.5" rx="8" ry="3.2" />
        <path d="M8 9.5v13c0 1.8 3.6 3.2 8 3.2s8-1.4 8-3.2v-13" />
        <path d="M8 16c0 1.8 3.6 3.2 8 3.2s8-1.4 8-3.2" stroke="#cfd6e0" />
      </g>
    </svg>
  )
}

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser()
  const theme = await currentTheme()
  const items = PAGES.filter((p) => can(user.role, p.permission))
  return (
    <div className="shell">
      <a href="#content" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar">
        {/* Under 900 px the menu opens with this checkbox (its label is the Menu button): no script needed. */}
        <MenuToggle id="menu-toggle" />
        <div className="sidebar-head">
          <div className="brand">
            <Logo />
            DoR DB Admin
          </div>
          <label htmlFor="menu-toggle" className="menu-button">
            Menu
          </label>
        </div>
        <div className="sidebar-body" id="sidebar-menu">
          <NavLinks items={items} />
          <div className="spacer" />
          <div className="usermenu" data-testid="user-menu">
            <div>{user.email}</div>
            <div className="role" data-testid="user-role">
              {user.role}
            </div>
            <div className="usermenu-actions">
              <Link href="/account" className="account-link">
                Your account
              </Link>
              <ThemeSwitch theme={theme} />
              <SignOutButton />
            </div>
          </div>
        </div>
      </aside>
      <div className="main">
        <header className="topbar">
          <span className="muted">Managing</span>
          <Suspense fallback={<span className="muted">…</span>}>
            <TargetIdentityBar />
          </Suspense>
          <Suspense fallback={null}>
            <FiringBadge />
          </Suspense>
        </header>
        <main className="content" id="content" tabIndex={-1}>
          <Suspense fallback={null}>
            <TargetUnreachableBanner />
          </Suspense>
          <Suspense fallback={null}>
            <ConnectionRiskBanner />
          </Suspense>
          <QueryProvider>{children}</QueryProvider>
        </main>
      </div>
    </div>
  )
}
