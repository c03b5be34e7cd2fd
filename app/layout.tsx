import type { Metadata } from 'next'
import { connection } from 'next/server'
import './globals.css'

export const metadata: Metadata = {
  title: 'DoR DB Admin',
  description: 'PostgreSQL administration for DoR-Dash',
}

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Every page renders per request: its scripts carry that request's CSP nonce (proxy.ts). A page
  // prerendered at build time would have scripts without one, which the CSP blocks.
  await connection()
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
