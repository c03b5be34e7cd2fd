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

  /** Any Cancel button of the page (a viewer's page has none). */
  cancelButtons(): Locator {
    return this.page.getByRole('button', { name: /^Cancel/ })
  }

  saveScheduleButtons(): Locator {
    return this.page.getByRole('button', { name: 'Save schedule' })
  }

  /** The row of the job that does integrity run `runId`, found by its link to the run. */
  jobOfRun(runId: string): Locator {
    return this.jobs.rows().filter({ has: this.page.getByRole('link', { name: `run #${runId}`, exact: true }) })
  }

  /** How far a running job is ("3/12"). */
  progress(row: Locator): Locator {
    return row.getByTestId('job-progress')
  }

  /** A job kind's schedule form ("audit.prune"). */
  scheduleForm(kind: string): Locator {
    return this.page.getByTestId(`schedule-form-${kind}`)
  }

  /** Fills a schedule form and saves it; what the form answers is scheduleStatus(kind). */
  async saveSchedule(kind: string, schedule: { cron: string; timeZone: string; on: boolean }) {
    const form = this.scheduleForm(kind)
    await form.getByLabel('Cron').fill(schedule.cron)
    await form.getByLabel('Time zone').fill(schedule.timeZone)
    await form.getByLabel('On', { exact: true }).setChecked(schedule.on)
    await form.getByRole('button', { name: 'Save schedule' }).click()
  }

  scheduleStatus(kind: string): Locator {
    return this.scheduleForm(kind).getByRole('status')
  }

  /** The link from a job's row to the run it did ("run #12"). */
  runLink(row: Locator): Locator {
    return row.getByRole('link', { name: /^run #\d+$/ })
  }

  /** What a job's row says after an action on it (Cancel). */
  rowStatus(row: Locator): Locator {
    return row.getByRole('status')
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
