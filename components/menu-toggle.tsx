'use client'

import { usePathname } from 'next/navigation'

/**
 * The checkbox that opens the sidebar's menu under 900 px (CSS shows the menu while it is checked,
 * so it works without JavaScript). Keyed by the page: after a navigation the menu is closed again.
 */
export function MenuToggle({ id }: { id: string }) {
  const path = usePathname()
  return <input key={path} type="checkbox" id={id} className="menu-toggle" aria-controls="sidebar-menu" />
}
