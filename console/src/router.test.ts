import { describe, expect, it } from 'vitest';
import { href, parseRoute, type Route } from './router';

describe('console routes', () => {
  const routes: Route[] = [
    { name: 'dashboard' },
    { name: 'resources' },
    { name: 'resources', group: 7 },
    { name: 'new-resource' },
    { name: 'resource', id: 42 },
    { name: 'requests' },
    { name: 'users' },
    { name: 'new-user' },
    { name: 'audit' },
    { name: 'groups' },
    { name: 'applications' },
    { name: 'ssh-keys' },
    { name: 'certificates' },
    { name: 'certificate', id: 9 },
    { name: 'jobs' },
    { name: 'policies' },
    { name: 'account' },
  ];

  it.each(routes.map((route) => [href(route), route] as const))(
    '%s is parsed back to the same screen',
    (link, route) => {
      expect(parseRoute(link)).toEqual(route);
    },
  );

  it('opens the dashboard for an empty fragment', () => {
    expect(parseRoute('')).toEqual({ name: 'dashboard' });
    expect(parseRoute('#/')).toEqual({ name: 'dashboard' });
  });

  it.each([
    '#/resources/0',
    '#/resources/-1',
    '#/resources/1e3',
    '#/resources/12345678901234567',
    '#/resources?group=abc',
    '#/resources?group=1&x=2',
    '#/certificates/ 1',
    '#/__proto__',
    '#/constructor',
    '#/toString',
  ])('answers not-found for %s instead of guessing a screen', (link) => {
    expect(parseRoute(link)).toEqual({ name: 'not-found', path: link.slice(1) });
  });
});
