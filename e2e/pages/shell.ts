import type { Locator, Page } from '@playwright/test'

/** What every dashboard page has around it: the sidebar (a menu under 900 px), the theme switch, the skip link. */
export class Shell {
  readonly nav: Locator
  readonly menuButton: Locator
  readonly themeSwitch: Locator
  readonly skipLink: Locator
  readonly main: Locator
  /** The page's title inside the main content. */
  readonly title: Locator
  /** The menu's checkbox (the menu works without JavaScript), reached from the keyboard. */
  readonly menuCheckbox: Locator
  readonly html: Locator
  readonly favicon: Locator
  readonly userMenu: Locator
  readonly userRole: Locator
  readonly signOutButton: Locator
  /** Which database the dashboard manages, shown on every page. */
  readonly targetIdentity: Locator
  /** Said on the overview after a page the role may not open sent the user back. */
  readonly deniedNotice: Locator
  /** The banner of risky database connections (components/target-banner.tsx), and the role the pages read as. */
  readonly connectionWarnings: Locator
  readonly targetRole: Locator
  /** Which database role the page's work runs as (components/role-note.tsx). */
  readonly roleNote: Locator
  /** The number of alerts firing, on every page, linking to them. */
  readonly firingBadge: Locator
  /** The error boundary's panel (components/page-error.tsx). */
  readonly errorPanel: Locator

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Pages', exact: true })
    this.menuButton = page.getByText('Menu', { exact: true })
    this.themeSwitch = page.getByTestId('theme-switch')
    this.skipLink = page.getByRole('link', { name: 'Skip to content' })
    this.main = page.locator('main#content')
    this.title = this.main.locator('h1')
    this.menuCheckbox = page.getByRole('checkbox', { name: 'Menu' })
    this.html = page.locator('html')
    this.favicon = page.locator('link[rel="icon"]')
    this.userMenu = page.getByTestId('user-menu')
    this.userRole = page.getByTestId('user-role')
    this.signOutButton = page.getByRole('button', { name: 'Sign out' })
    this.targetIdentity = page.getByTestId('target-identity')
    this.deniedNotice = page.getByText('Your role may not open that page.')
    this.connectionWarnings = page.getByTestId('connection-warnings')
    this.targetRole = page.getByTestId('target-role')
    this.roleNote = page.getByTestId('role-note')
    this.firingBadge = page.getByTestId('firing-badge')
    this.errorPanel = page.getByText('This page could not be shown')
  }

  /** One warning of the connection banner, by its code ("superuser", "no_ssl_remote"). */
  connectionWarning(code: string): Locator {
    return this.connectionWarnings.locator(`[data-code="${code}"]`)
  }

  async signOut() {
    await this.signOutButton.click()
  }

  /** A link of the sidebar, by the page it opens. */
  navLink(name: string, options: { exact?: boolean } = {}): Locator {
    return this.nav.getByRole('link', { name, ...options })
  }

  /** The page's own title (its one level-1 heading). */
  heading(name: string): Locator {
    return this.page.getByRole('heading', { name, level: 1 })
  }

  /** Where the page says `text` (a notice, a banner, a message), wherever it is. */
  says(text: string | RegExp, options: { exact?: boolean } = {}): Locator {
    return this.page.getByText(text, options)
  }

  theme(name: 'Auto' | 'Light' | 'Dark'): Locator {
    return this.themeSwitch.getByRole('button', { name })
  }

  /** The theme <html> carries: null when it follows the system. */
  htmlTheme(): Promise<string | null> {
    return this.html.getAttribute('data-theme')
  }

  /** True when the page is wider than the window (a horizontal scroll bar on the page itself). */
  overflows(): Promise<boolean> {
    return this.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)
  }
}
