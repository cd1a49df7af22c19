import { z } from 'zod';
import type { NativeRouter } from '../../http/native.js';
import { Secret } from '../../platform/crypto/secret.js';
import type { ConsoleSessions } from './sessions.service.js';

const sessionView = z.object({
  user: z.object({ id: z.number(), username: z.string(), role: z.string(), isSuperAdmin: z.boolean() }),
  csrfToken: z.string(),
  expiresAt: z.number().describe('epoch milliseconds: the absolute end of the session'),
  secondsLeft: z
    .number()
    .describe(
      'seconds until the session ends without another request (idle timeout, or its absolute end if sooner); every answer to a session carries it in the Bulwark-Session-Seconds-Left header',
    ),
  idleTimeoutSeconds: z.number(),
  clipboardClearSeconds: z.number(),
});

const signIn = z.object({
  username: z.string().trim().min(1, 'Enter your user name').max(255),
  password: z.string().min(1, 'Enter your password').max(1024),
});

const passwordChange = z
  .object({
    currentPassword: z.string().min(1, 'Enter your current password').max(1024, 'At most 1024 characters'),
    newPassword: z.string().min(1, 'Enter the new password').max(1024, 'At most 1024 characters'),
    confirmation: z.string().max(1024, 'At most 1024 characters'),
  })
  .refine((b) => b.confirmation === b.newPassword, {
    path: ['confirmation'],
    message: 'The confirmation does not match the new password',
  });

const secondFactor = z.object({
  code: z.string().trim().min(1, 'Enter the code from your authenticator app or a recovery code').max(64),
});

/** Console sign-in, the second factor, the session and sign-out (ADR 042). */
export function registerSessionRoutes(router: NativeRouter, deps: { sessions: ConsoleSessions }): void {
  router.add({
    method: 'POST',
    url: '/api/v1/session/login',
    summary: 'Sign in with user name and password; the second factor follows',
    tag: 'session',
    access: 'public',
    body: signIn,
    response: z.object({
      next: z.enum(['totp', 'enrol']),
      csrfToken: z.string(),
      enrolment: z.object({ secret: z.string(), otpauthUri: z.string(), qrSvg: z.string() }).optional(),
    }),
    async handle({ origin, body, cookies }) {
      const started = await deps.sessions.signIn(origin, body.username, body.password);
      cookies.setSession(started.token, started.maxAgeSeconds);
      return {
        next: started.next,
        csrfToken: started.csrfToken,
        ...(started.enrolment ? { enrolment: started.enrolment } : {}),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/session/second-factor',
    summary: 'Complete sign-in with a TOTP code or a recovery code (or confirm a new authenticator)',
    tag: 'session',
    access: 'second-factor',
    body: secondFactor,
    response: z.object({ session: sessionView, recoveryCodes: z.array(z.string()).optional() }),
    async handle({ origin, body, sessionToken, cookies }) {
      const signed = await deps.sessions.completeSignIn(origin, sessionToken!, body.code);
      cookies.setSession(signed.token, signed.maxAgeSeconds);
      return {
        session: signed.session,
        ...(signed.recoveryCodes ? { recoveryCodes: signed.recoveryCodes } : {}),
      };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/session',
    summary: 'The signed-in session: user, CSRF token, timeouts',
    tag: 'session',
    access: 'signed-in',
    response: sessionView,
    async handle({ session }) {
      return deps.sessions.describe(session!);
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/session/password',
    summary: "Change one's own sign-in password; the user's other console sessions end",
    tag: 'session',
    access: 'signed-in',
    body: passwordChange,
    response: z.object({ otherSessionsEnded: z.number() }),
    async handle({ caller, body, sessionToken }) {
      return deps.sessions.changeOwnPassword(
        caller,
        sessionToken!,
        new Secret(body.currentPassword),
        new Secret(body.newPassword),
      );
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/session/logout',
    summary: 'Sign out: the session ends on the server and the cookie is cleared',
    tag: 'session',
    access: 'signed-in',
    async handle({ caller, sessionToken, cookies }) {
      await deps.sessions.signOut(caller, sessionToken!);
      cookies.clearSession();
      return {};
    },
  });
}
