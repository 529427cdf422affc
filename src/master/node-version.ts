/**
 * A node's software version from its NETWORK_CONFIG_REQUEST metadata (protocol.md §7). A 2015
 * node sends its version as hex numbers under `majv`, `minv` and `revv`; later versions add the
 * protocol version as `pv`. Each missing or malformed value is -1 (unknown); metadata that says
 * nothing of the version, or cannot be read as a dictionary, gives null (nothing to record).
 */
import { Dictionary } from '../protocol/dictionary.js';
import type { NodeVersion } from './store.js';

export const VersionMetadataKey = {
  MAJOR: 'majv',
  MINOR: 'minv',
  REVISION: 'revv',
  PROTOCOL: 'pv',
} as const;

export const UNKNOWN_VERSION: Readonly<NodeVersion> = Object.freeze({ major: -1, minor: -1, revision: -1, protocol: -1 });

/** The version the metadata tells, or null when it tells none. */
export function versionFromMetadata(metaData: Dictionary | Uint8Array | string | null | undefined): NodeVersion | null {
  if (metaData === undefined || metaData === null) return null;
  let dict: Dictionary;
  try {
    dict = metaData instanceof Dictionary ? metaData : Dictionary.parse(metaData);
  } catch {
    return null;
  }
  const read = (key: string): number | undefined => {
    const value = dict.get(key);
    if (value === undefined) return undefined;
    return /^[0-9a-fA-F]{1,4}$/.test(value) ? parseInt(value, 16) : -1;
  };
  const major = read(VersionMetadataKey.MAJOR);
  const minor = read(VersionMetadataKey.MINOR);
  const revision = read(VersionMetadataKey.REVISION);
  const protocol = read(VersionMetadataKey.PROTOCOL);
  if (major === undefined && minor === undefined && revision === undefined && protocol === undefined) return null;
  return { major: major ?? -1, minor: minor ?? -1, revision: revision ?? -1, protocol: protocol ?? -1 };
}
