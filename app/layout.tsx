import type { Metadata } from 'next'
import { connection } from 'next/server'
import { currentTheme } from '@/lib/auth/current-theme'
import './tokens.css'
import './globals.css'

export const metadata: Metadata = {
  title: 'DoR DB Admin',
  description: 'PostgreSQL administration for DoR-Dash',
}

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Every page renders per request: its scripts carry that request's CSP nonce (proxy.ts). A page
  // prerendered at build time would have scripts without one, which the CSP blocks.
  await connection()
  // The user's stored theme is in the first HTML, so the page never paints in the other one first.
  const theme = await currentTheme()
  return (
    <html lang="en" data-theme={theme === 'system' ? undefined : theme}>
      <body>{children}</body>
    </html>
  )
}
