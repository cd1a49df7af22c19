import { useSyncExternalStore } from 'react';

/** The console's screens, addressed by the URL fragment (#/dashboard, #/resources/7, #/audit...). */
export type Route =
  | { readonly name: 'dashboard' }
  | { readonly name: 'resources'; readonly group?: number }
  | { readonly name: 'new-resource' }
  | { readonly name: 'resource'; readonly id: number }
  | { readonly name: 'requests' }
  | { readonly name: 'users' }
  | { readonly name: 'new-user' }
  | { readonly name: 'audit' }
  | { readonly name: 'groups' }
  | { readonly name: 'applications' }
  | { readonly name: 'ssh-keys' }
  | { readonly name: 'certificates' }
  | { readonly name: 'certificate'; readonly id: number }
  | { readonly name: 'jobs' }
  | { readonly name: 'policies' }
  | { readonly name: 'account' }
  | { readonly name: 'not-found'; readonly path: string };

const FIXED: Record<string, Route> = {
  '/': { name: 'dashboard' },
  '/dashboard': { name: 'dashboard' },
  '/resources': { name: 'resources' },
  '/resources/new': { name: 'new-resource' },
  '/requests': { name: 'requests' },
  '/users': { name: 'users' },
  '/users/new': { name: 'new-user' },
  '/audit': { name: 'audit' },
  '/groups': { name: 'groups' },
  '/applications': { name: 'applications' },
  '/ssh-keys': { name: 'ssh-keys' },
  '/certificates': { name: 'certificates' },
  '/jobs': { name: 'jobs' },
  '/policies': { name: 'policies' },
  '/account': { name: 'account' },
};

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/dashboard';
  const fixed = Object.hasOwn(FIXED, path) ? FIXED[path] : undefined;
  if (fixed) return fixed;
  const match = /^\/resources\/([1-9][0-9]{0,15})$/.exec(path);
  if (match) return { name: 'resource', id: Number(match[1]) };
  const certificate = /^\/certificates\/([1-9][0-9]{0,15})$/.exec(path);
  if (certificate) return { name: 'certificate', id: Number(certificate[1]) };
  // The resources filtered by a resource group: #/resources?group=7 (an id, nothing secret).
  const grouped = /^\/resources\?group=([1-9][0-9]{0,15})$/.exec(path);
  if (grouped) return { name: 'resources', group: Number(grouped[1]) };
  return { name: 'not-found', path };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'new-resource':
      return '#/resources/new';
    case 'new-user':
      return '#/users/new';
    case 'resource':
      return `#/resources/${route.id}`;
    case 'certificate':
      return `#/certificates/${route.id}`;
    case 'resources':
      return route.group === undefined ? '#/resources' : `#/resources?group=${route.group}`;
    case 'not-found':
      return `#${route.path}`;
    default:
      return `#/${route.name}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}
