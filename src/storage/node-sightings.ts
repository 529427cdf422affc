/**
 * Nodes seen by requests, kept until the store's next batched write (statistics need not be
 * durable before a reply): what each engine holds between a request's commit and that write.
 */
import type { NodeVersion } from '../master/store.js';

/** A node seen by a request: its new lastSeen, lastAt when the request came directly, its version when it said. */
export interface NodeSighting {
  lastSeen: number;
  lastAt: string | null;
  /** The version the latest request carried, when one did. */
  version: NodeVersion | null;
}

/**
 * Adds one sighting to those waiting: the latest lastSeen, and the last lastAt and version told (a
 * relayed request or one without metadata keeps the earlier ones).
 */
export function addSighting(pending: Map<string, NodeSighting>, address: string, sighting: NodeSighting): void {
  const earlier = pending.get(address);
  pending.set(address, {
    lastSeen: sighting.lastSeen,
    lastAt: sighting.lastAt ?? earlier?.lastAt ?? null,
    version: sighting.version ?? earlier?.version ?? null,
  });
}

/** Adds a committed transaction's sightings to those waiting for the write (addSighting, each). */
export function addSightings(pending: Map<string, NodeSighting>, seen: ReadonlyMap<string, NodeSighting>): void {
  for (const [address, sighting] of seen) addSighting(pending, address, sighting);
}
