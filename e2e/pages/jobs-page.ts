import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /jobs: every background job, kept current by polling, and the schedules. */
export class JobsPage {
  readonly jobs: DataTablePart
  readonly schedules: DataTablePart

  constructor(readonly page: Page) {
    this.jobs = new DataTablePart(page.getByTestId('jobs-table'))
    this.schedules = new DataTablePart(page.getByTestId('schedules-table'))
  }

  async goto(filter: Record<string, string> = {}) {
    const query = new URLSearchParams(filter).toString()
    await this.page.goto(query ? `/jobs?${query}` : '/jobs')
  }

  job(id: number): Locator {
    return this.jobs.row('job', id)
  }

  state(row: Locator): Locator {
    return row.locator('td:nth-child(4) .badge')
  }

  cancelButton(id: number): Locator {
    return this.page.getByRole('button', { name: `Cancel job #${id}` })
  }

  async filter(kind: string, state: string) {
    const form = this.page.getByRole('form', { name: 'Filter the jobs' })
    await form.getByLabel('Kind').selectOption({ label: kind })
    await form.getByLabel('State').selectOption(state)
    await form.getByRole('button', { name: 'Filter' }).click()
  }
}
