import type { Metadata } from 'next'
import './globals.css'

export const metadata: Metadata = {
  title: 'DoR DB Admin',
  description: 'PostgreSQL administration for DoR-Dash',
}

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
