import { expect, type Page } from '@playwright/test'
import { Secret, TOTP } from 'otpauth'

/** The code an authenticator app shows for `secret` at `at` (default now). */
export function totpCode(secret: string, at = Date.now()): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at })
}

export class AccountPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto('/account')
  }

  card() {
    return this.page.getByTestId('two-factor')
  }

  /** Said when the admins' rule sent the user here to set two-factor sign-in up first. */
  setupRequiredNotice() {
    return this.page.getByTestId('two-factor-required')
  }

  /** Said instead of a turn-off button while the admins' rule holds. */
  keptNotice() {
    return this.page.getByTestId('two-factor-kept')
  }

  /**
   * Enrols in two-factor sign-in as a user would: scans (here: reads) the key, types the app's code.
   * The code of the previous 30-second step confirms it, so that the current one still signs in.
   */
  async enrol(): Promise<{ secret: string; recoveryCodes: string[] }> {
    await this.goto()
    await this.card().getByRole('button', { name: 'Set up two-factor sign-in' }).click()
    const qr = this.page.getByTestId('totp-qr')
    await expect(qr).toBeVisible()
    // The QR code is a data: URL: it shows only if the page's CSP allows data: images.
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
    const secret = (await this.page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const form = this.page.getByTestId('confirm-enrolment')
    await form.getByLabel('Code from the app').fill(totpCode(secret, Date.now() - 30_000))
    await form.getByRole('button', { name: 'Turn on' }).click()
    const list = this.page.getByTestId('recovery-codes').locator('li')
    await expect(list).toHaveCount(10)
    const recoveryCodes = (await list.allTextContents()).map((c) => c.trim())
    await this.page.getByRole('button', { name: 'I have kept them' }).click()
    await expect(this.card()).toContainText('on since')
    return { secret, recoveryCodes }
  }
}
