function LockIcon() {
  return (
    <svg className="lock-icon" viewBox="0 0 10 11" aria-hidden="true">
      <path fillRule="evenodd" d="M2.5 4.5V3a2.5 2.5 0 0 1 5 0v1.5H9V11H1V4.5zM3.7 4.5h2.6V3a1.3 1.3 0 0 0-2.6 0z" />
    </svg>
  )
}

/** What a table of rows (a data preview, orphan samples) hides in a secret-looking column. */
export function MaskedValue() {
  return (
    <span className="masked" title="Masked: this column looks like it holds secrets">
      ••••••
    </span>
  )
}

/**
 * The heading of a column of rows: its name, whether it is part of the primary key, whether its
 * values are masked (or were revealed to this user), and its type when known.
 */
export function ColumnHeading({ name, isKey, masked, revealed = false, type }: { name: string; isKey: boolean; masked: boolean; revealed?: boolean; type?: string }) {
  return (
    <>
      <span className="mono">{name}</span>
      {isKey ? (
        <>
          {' '}
          <span className="badge" title="Primary key column">
            key
          </span>
        </>
      ) : null}
      {masked ? (
        <>
          {' '}
          {revealed ? (
            <span className="badge bad" title="Revealed for you; the reveal is in the audit log">
              revealed
            </span>
          ) : (
            <span className="badge warn" title="Values hidden: the name suggests a secret">
              <LockIcon />
              masked
            </span>
          )}
        </>
      ) : null}
      {type ? <div className="col-type">{type}</div> : null}
    </>
  )
}
