import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /backups: the create form, the catalogue, the backup jobs (backups, verifications, drills, restores), retention. */
export class BackupsPage {
  readonly backups: DataTablePart
  readonly work: DataTablePart
  readonly createForm: Locator
  readonly restoreDialog: Locator
  readonly retentionForm: Locator
  readonly createStatus: Locator
  readonly uploadForm: Locator
  readonly uploadStatus: Locator
  readonly restoreStatus: Locator
  readonly retentionStatus: Locator
  /** The policy in force, as the page states it. */
  readonly savedRetention: Locator
  readonly cancelWorkButtons: Locator

  constructor(readonly page: Page) {
    this.backups = new DataTablePart(page.getByTestId('backups-table'))
    this.work = new DataTablePart(page.getByTestId('backup-work'))
    this.createForm = page.getByTestId('create-backup')
    this.restoreDialog = page.getByTestId('restore-dialog')
    this.retentionForm = page.getByTestId('retention')
    this.createStatus = this.createForm.getByRole('status')
    this.uploadForm = page.getByTestId('upload-backup')
    this.uploadStatus = this.uploadForm.getByRole('status')
    this.restoreStatus = this.restoreDialog.getByRole('status')
    this.retentionStatus = this.retentionForm.getByRole('status')
    this.savedRetention = page.getByTestId('saved-retention')
    this.cancelWorkButtons = page.getByTestId('cancel-work')
  }

  /** The job id the create form said it started ("… as job #12."). */
  async startedJob(): Promise<string> {
    return /#(\d+)/.exec((await this.createStatus.textContent())!)![1]
  }

  /** A retention field as saved, by its label. */
  retentionField(label: string): Locator {
    return this.retentionForm.getByLabel(label)
  }

  /** Uploads a dump through the page's form. */
  async upload(file: { name: string; mimeType: string; buffer: Buffer }) {
    await this.uploadForm.locator('input[type=file]').setInputFiles(file)
    await this.uploadForm.getByRole('button', { name: 'Upload' }).click()
  }

  /** A catalogue row's progress while its job runs: the bar and the words. */
  progressBar(row: Locator): Locator {
    return row.getByRole('progressbar')
  }

  workProgress(row: Locator): Locator {
    return row.getByTestId('work-progress')
  }

  downloadLink(row: Locator): Locator {
    return row.getByTestId('download-backup')
  }

  restoreButton(row: Locator): Locator {
    return row.getByTestId('open-restore')
  }

  /** Cancels the running backup of a catalogue row. */
  async cancel(row: Locator) {
    await row.getByTestId('cancel-backup').click()
  }

  /** What a catalogue row answered after an action on it. */
  rowStatus(row: Locator): Locator {
    return row.getByRole('status')
  }

  /** The job row of a backup job (its data-job). */
  job(id: string | number): Locator {
    return this.work.row('job', id)
  }

  /** Fills the retention rules (empty for the others) and submits with what to do. */
  async retention(rules: Partial<Record<'Keep the last' | 'Daily' | 'Weekly' | 'Monthly' | 'All younger than (days)', number>>, intent: 'Preview what it deletes' | 'Save the policy' | 'Save and apply now') {
    for (const label of ['Keep the last', 'Daily', 'Weekly', 'Monthly', 'All younger than (days)'] as const) {
      await this.retentionForm.getByLabel(label).fill(rules[label] === undefined ? '' : String(rules[label]))
    }
    await this.retentionForm.getByLabel(intent).check()
    await this.retentionForm.getByRole('button', { name: 'Go' }).click()
  }

  async goto() {
    await this.page.goto('/backups')
  }

  async create(kind: 'full' | 'schema' | 'data', format = 'custom') {
    await this.createForm.getByLabel('Kind').selectOption(kind)
    await this.createForm.getByLabel('Format').selectOption(format)
    await this.createForm.getByRole('button', { name: 'Create backup' }).click()
  }

  row(id: string): Locator {
    return this.backups.row('id', id)
  }

  status(row: Locator): Locator {
    return row.getByTestId('backup-status').locator('.badge')
  }

  /** The full SHA-256 the row shows (in the title of its abbreviation). */
  async sha256(row: Locator): Promise<string | null> {
    return row.locator('td .mono[title]').getAttribute('title')
  }

  async restoreIntoNew(row: Locator, database: string) {
    await this.restoreButton(row).click()
    await this.restoreDialog.getByLabel('New database name').fill(database)
    await this.restoreDialog.getByLabel(/^Type .* to confirm$/).fill(database)
    await this.restoreDialog.getByRole('button', { name: 'Restore' }).click()
  }
}
