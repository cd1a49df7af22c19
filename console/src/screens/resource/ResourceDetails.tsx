import type { ResourceWithAccounts } from '../../api';

/** Only web addresses become links: a stored `javascript:` URL stays text. */
function safeUrl(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? url : undefined;
}

/** A resource's own fields (nothing secret), as the top of its page shows them. */
export function ResourceDetails({ resource }: { resource: ResourceWithAccounts['resource'] }) {
  const url = safeUrl(resource.url);
  return (
    <dl className="details">
      <div>
        <dt>Type</dt>
        <dd>{resource.type}</dd>
      </div>
      <div>
        <dt>DNS name</dt>
        <dd>{resource.dnsName || '—'}</dd>
      </div>
      <div>
        <dt>Description</dt>
        <dd className="multiline">{resource.description || '—'}</dd>
      </div>
      <div>
        <dt>URL</dt>
        <dd>
          {url ? (
            <a href={url} target="_blank" rel="noopener noreferrer">
              {resource.url}
            </a>
          ) : (
            resource.url || '—'
          )}
        </dd>
      </div>
      <div>
        <dt>Owner</dt>
        <dd>{resource.owner}</dd>
      </div>
    </dl>
  );
}
