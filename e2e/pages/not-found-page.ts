import type { Locator, Page } from '@playwright/test'

/** The dashboard's 404 page (app/(dashboard)/not-found.tsx), shown for any unknown address. */
export class NotFoundPage {
  readonly heading: Locator
  readonly backToOverview: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Page not found' })
    this.backToOverview = page.getByRole('link', { name: 'Back to the overview' })
  }

  goto(path: string) {
    return this.page.goto(path)
  }
}
