import { useSyncExternalStore } from 'react';

/** The console's screens, addressed by the URL fragment (#/resources, #/resources/new, #/resources/7). */
export type Route =
  | { readonly name: 'resources' }
  | { readonly name: 'new-resource' }
  | { readonly name: 'resource'; readonly id: number }
  | { readonly name: 'not-found'; readonly path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/resources';
  if (path === '/' || path === '/resources') return { name: 'resources' };
  if (path === '/resources/new') return { name: 'new-resource' };
  const match = /^\/resources\/([1-9][0-9]{0,15})$/.exec(path);
  if (match) return { name: 'resource', id: Number(match[1]) };
  return { name: 'not-found', path };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'resources':
      return '#/resources';
    case 'new-resource':
      return '#/resources/new';
    case 'resource':
      return `#/resources/${route.id}`;
    case 'not-found':
      return `#${route.path}`;
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
