import { request, setCsrfToken, setSessionSecondsLeft } from './http';

export interface SessionUser {
  readonly id: number;
  readonly username: string;
  readonly role: string;
  readonly isSuperAdmin: boolean;
}

export interface Session {
  readonly user: SessionUser;
  readonly csrfToken: string;
  /** Epoch milliseconds, absolute. */
  readonly expiresAt: number;
  /** Seconds until the session ends without another request, when this answer was sent. */
  readonly secondsLeft: number;
  readonly idleTimeoutSeconds: number;
  readonly clipboardClearSeconds: number;
}

export interface Enrolment {
  readonly secret: string;
  readonly otpauthUri: string;
  readonly qrSvg: string;
}

export type LoginAnswer =
  | { readonly next: 'totp'; readonly csrfToken: string }
  | { readonly next: 'enrol'; readonly csrfToken: string; readonly enrolment: Enrolment };

export interface SecondFactorAnswer {
  readonly session: Session;
  readonly recoveryCodes?: readonly string[];
}

export const sessionApi = {
  login(username: string, password: string): Promise<LoginAnswer> {
    return request('POST', '/session/login', { body: { username, password }, unauthorisedIsFormError: true });
  },
  async secondFactor(code: string): Promise<SecondFactorAnswer> {
    const answer = await request<SecondFactorAnswer>('POST', '/session/second-factor', { body: { code } });
    setCsrfToken(answer.session.csrfToken);
    setSessionSecondsLeft(answer.session.secondsLeft);
    return answer;
  },
  session(): Promise<Session> {
    return request('GET', '/session');
  },
  async logout(): Promise<void> {
    try {
      await request('POST', '/session/logout');
    } finally {
      setCsrfToken(undefined);
      setSessionSecondsLeft(undefined);
    }
  },
};
