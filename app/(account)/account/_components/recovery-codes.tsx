/** Recovery codes, shown once after they were made. */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="banner ok" data-testid="recovery-codes">
      <p>
        <strong>Your recovery codes.</strong> Each signs you in once instead of a code from the app (a lost phone, say). They are shown
        only now: keep them somewhere safe, not on the same device.
      </p>
      <ol className="recovery-codes">
        {codes.map((c) => (
          <li key={c} className="mono">
            {c}
          </li>
        ))}
      </ol>
    </div>
  )
}
