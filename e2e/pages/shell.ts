import type { Locator, Page } from '@playwright/test'

/** What every dashboard page has around it: the sidebar (a menu under 900 px), the theme switch, the skip link. */
export class Shell {
  readonly nav: Locator
  readonly menuButton: Locator
  readonly themeSwitch: Locator
  readonly skipLink: Locator
  readonly main: Locator

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Pages', exact: true })
    this.menuButton = page.getByText('Menu', { exact: true })
    this.themeSwitch = page.getByTestId('theme-switch')
    this.skipLink = page.getByRole('link', { name: 'Skip to content' })
    this.main = page.locator('main#content')
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
