import { api, type ResourceSummary } from '../api';
import { SearchPicker, type PickerSource } from './SearchPicker';

const RESOURCES: PickerSource<ResourceSummary> = {
  // The same search as the Resources list (name, DNS name, description; on the server).
  search: (query, signal) => api.resources({ ...query, type: '' }, signal),
  keyOf: (resource) => resource.id,
  textOf: (resource) => resource.name,
  describe: (resource) => `${resource.name} (${resource.type})`,
  option: (resource) => (
    <>
      <span className="option-name">{resource.name}</span>
      <span className="option-detail">
        {resource.type}
        {resource.dnsName ? ` · ${resource.dnsName}` : ''}
      </span>
    </>
  ),
  noun: ['resource', 'resources'],
  hint: 'Type part of a resource name, DNS name or description, then choose from the list.',
};

/** A resource picker: the combobox over the resources the caller may see, searched as you type. */
export function ResourcePicker(props: {
  label: string;
  value: ResourceSummary | undefined;
  onChange: (resource: ResourceSummary | undefined) => void;
  error?: string | undefined;
}) {
  return <SearchPicker {...props} source={RESOURCES} />;
}
