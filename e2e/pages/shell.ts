import type { Locator, Page } from '@playwright/test'

/** What every dashboard page has around it: the sidebar (a menu under 900 px), the theme switch, the skip link. */
export class Shell {
  readonly nav: Locator
  readonly menuButton: Locator
  readonly themeSwitch: Locator
  readonly skipLink: Locator
  readonly main: Locator
  readonly userMenu: Locator
  readonly userRole: Locator
  readonly signOutButton: Locator
  /** Which database the dashboard manages, shown on every page. */
  readonly targetIdentity: Locator
  /** Said on the overview after a page the role may not open sent the user back. */
  readonly deniedNotice: Locator
  /** The error boundary's panel (components/page-error.tsx). */
  readonly errorPanel: Locator

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Pages', exact: true })
    this.menuButton = page.getByText('Menu', { exact: true })
    this.themeSwitch = page.getByTestId('theme-switch')
    this.skipLink = page.getByRole('link', { name: 'Skip to content' })
    this.main = page.locator('main#content')
    this.userMenu = page.getByTestId('user-menu')
    this.userRole = page.getByTestId('user-role')
    this.signOutButton = page.getByRole('button', { name: 'Sign out' })
    this.targetIdentity = page.getByTestId('target-identity')
    this.deniedNotice = page.getByText('Your role may not open that page.')
    this.errorPanel = page.getByText('This page could not be shown')
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
    return this.page.locator('html').getAttribute('data-theme')
  }

  /** True when the page is wider than the window (a horizontal scroll bar on the page itself). */
  overflows(): Promise<boolean> {
    return this.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)
  }
}
