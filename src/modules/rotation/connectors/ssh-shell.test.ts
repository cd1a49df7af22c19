import { describe, expect, it } from 'vitest';
import { cleanTerminalText, PASSWD_PROMPTS, promptPattern } from './ssh-shell.js';

/** Which passwd question the end of this output is (as the connector classifies it). */
function question(output: string): string | undefined {
  return PASSWD_PROMPTS.find(([, pattern]) => pattern.test(cleanTerminalText(output)))?.[0];
}

describe('terminal text and prompts (the SSH connector)', () => {
  it('removes colours, bracketed paste, window titles and carriage returns', () => {
    const raw = '\u001b]0;bw1@host: ~\u0007\u001b[?2004h\u001b[01;32mbw1@host\u001b[00m:~$ \r\n';
    expect(cleanTerminalText(raw)).toBe('bw1@host:~$ \n');
  });

  it('matches the configured prompt only at the end of the output, ignoring trailing spaces', () => {
    const user = promptPattern('$', '$');
    expect(user.test('Linux host 6.1\nbw1@host:~$ ')).toBe(true);
    expect(user.test('bw1@host:~$\t  ')).toBe(true);
    expect(user.test('price: 5$ or more\n')).toBe(false);
    expect(user.test('bw1@host:~$ ls')).toBe(false);
    expect(promptPattern(' # ', '#').test('bash-5.2# ')).toBe(true);
    // An empty configured prompt falls back to the usual one instead of matching anything.
    expect(promptPattern('  ', '#').test('Last login: today\n')).toBe(false);
    expect(promptPattern('', '#').test('bash-5.2# ')).toBe(true);
    // Regular-expression characters in a configured prompt are literal.
    expect(promptPattern('[admin]>', '$').test('host [admin]> ')).toBe(true);
    expect(promptPattern('.*', '$').test('anything')).toBe(false);
  });

  it("classifies passwd's questions in Debian's and older wordings", () => {
    expect(question('Changing password for bw1.\nCurrent password: ')).toBe('current');
    expect(question('(current) UNIX password: ')).toBe('current');
    expect(question('Old Password: ')).toBe('current');
    expect(question('\nNew password: ')).toBe('new');
    expect(question('Enter new UNIX password: ')).toBe('new');
    expect(question('\nRetype new password: ')).toBe('retype');
    expect(question('Retype new UNIX password: ')).toBe('retype');
    expect(question('Re-enter new password: ')).toBe('retype');
    expect(question('Enter the new password again: ')).toBe('retype');
    expect(question('passwd: password updated successfully\n')).toBeUndefined();
  });
});
