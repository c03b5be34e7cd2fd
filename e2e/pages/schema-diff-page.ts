import type { Locator, Page } from '@playwright/test'

/** /schema/snapshots?from=…&to=…: what changed in the schema between two snapshots. */
export class SchemaDiffPage {
  readonly diff: Locator

  constructor(readonly page: Page) {
    this.diff = page.getByTestId('schema-diff')
  }

  /** The rows of the difference that mention every one of `texts`. */
  change(...texts: string[]): Locator {
    return texts.reduce((rows, text) => rows.filter({ hasText: text }), this.diff.getByRole('row'))
  }
}
