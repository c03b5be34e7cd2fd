/** An action's `{ ok, message }` beside the control that ran it (role status: read out when it appears). */
export function ResultMessage({ result }: { result: { ok: boolean; message: string } | null }) {
  if (!result) return null
  return (
    <span role="status" className={`result ${result.ok ? 'ok' : 'bad'}`}>
      {result.message}
    </span>
  )
}
