import type { Locator, Page } from '@playwright/test'

/** /connections: the dashboard's own pools, connection use, and replication slots. */
export class ConnectionsPage {
  readonly pools: Locator
  readonly replicationSlots: Locator
  readonly dropSlotButtons: Locator

  constructor(readonly page: Page) {
    this.pools = page.getByTestId('dashboard-pools')
    this.replicationSlots = page.getByTestId('replication-slots')
    this.dropSlotButtons = page.getByTestId('drop-slot')
  }

  async goto() {
    await this.page.goto('/connections')
  }
}
