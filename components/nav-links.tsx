'use client'

import Link from 'next/link'
import { usePathname } from 'next/navigation'

export function NavLinks({ items }: { items: { href: string; label: string }[] }) {
  const path = usePathname()
  return (
    <nav className="nav" aria-label="Pages">
      {items.map((item) => (
        <Link key={item.href} href={item.href} aria-current={path.startsWith(item.href) ? 'page' : undefined}>
          {item.label}
        </Link>
      ))}
    </nav>
  )
}
