/** Change events with their refresh lists read, for comparing whole events in tests. */
import type { NetworkChangeEvent } from '../../src/master/events.js';

export type SettledChangeEvent = Omit<NetworkChangeEvent, 'refresh'> & { refresh: string[] };

export function settled(event: NetworkChangeEvent): Promise<SettledChangeEvent> {
  return event.refresh().then((refresh) => ({ ...event, refresh }));
}

export function settledAll(events: readonly NetworkChangeEvent[]): Promise<SettledChangeEvent[]> {
  return Promise.all(events.map(settled));
}
