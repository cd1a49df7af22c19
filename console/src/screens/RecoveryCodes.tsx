import { useState } from 'react';
import { Heading } from '../components/Heading';

/** The recovery codes, shown once right after enrolment. */
export function RecoveryCodes({ codes, onDone }: { codes: readonly string[]; onDone: () => void }) {
  const [copied, setCopied] = useState('');

  async function copy() {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied('Recovery codes copied.');
    } catch {
      setCopied('The codes could not be copied: select them and copy them yourself.');
    }
  }

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          Bulwark
        </p>
        <Heading title="Save your recovery codes">Save your recovery codes</Heading>
        <p>
          If you lose your authenticator app, each of these codes signs you in once instead of a 6-digit code.
          Keep them somewhere safe, such as a password manager or a printed copy. They are not shown again.
        </p>
        <ul className="recovery-codes" aria-label="Recovery codes">
          {codes.map((code) => (
            <li key={code}>
              <code>{code}</code>
            </li>
          ))}
        </ul>
        <p className="button-row">
          <button type="button" className="button" onClick={() => void copy()}>
            Copy codes
          </button>
          <button type="button" className="button primary" onClick={onDone}>
            I have saved these codes
          </button>
        </p>
        <p role="status" className="status-line">
          {copied}
        </p>
      </div>
    </main>
  );
}
