'use client'

export default function PageError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="banner bad" role="alert">
      This page could not be shown. The details are in the server log.{' '}
      <button type="button" onClick={() => reset()}>
        Try again
      </button>
    </div>
  )
}
