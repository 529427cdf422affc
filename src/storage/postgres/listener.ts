/**
 * Notifications of other processes' changes: one connection of the pool kept for `LISTEN` on the
 * channel the schema's triggers notify (CHANGE_CHANNEL: a revision moved, a network was deleted).
 * When that connection breaks (the server restarted), it is opened again after a short wait, until
 * it works or the store closes; the store then assumes it missed something.
 */
import type { Notification, Pool, PoolClient } from 'pg';
import { CHANGE_CHANNEL } from './schema.js';

export interface ChangeListenerEvents {
  /** A notification from the backend with process ID `fromProcess`. */
  changed(fromProcess: number): void;
  /** Listening again after the connection broke. */
  reconnected(): void;
}

const RECONNECT_MS = 250;

export class ChangeListener {
  #client: PoolClient | null = null;
  #stopped = false;
  #retry: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly events: ChangeListenerEvents,
  ) {}

  /** Listens; rejects when the first connection cannot be made. */
  async start(): Promise<void> {
    await this.#listen();
  }

  async #listen(): Promise<void> {
    const client = await this.pool.connect();
    let broken = false;
    const onBroken = (error: Error): void => {
      if (broken) return;
      broken = true;
      if (this.#client === client) this.#client = null;
      client.release(error);
      this.#scheduleReconnect();
    };
    client.on('notification', (message: Notification) => {
      if (message.channel === CHANGE_CHANNEL) this.events.changed(message.processId);
    });
    client.on('error', onBroken);
    client.on('end', () => onBroken(new Error('the listening connection ended')));
    try {
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      onBroken(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    if (this.#stopped) {
      broken = true;
      client.release(true);
      return;
    }
    this.#client = client;
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#stopped) return;
      this.#listen().then(
        () => {
          if (!this.#stopped) this.events.reconnected();
        },
        () => this.#scheduleReconnect(),
      );
    }, RECONNECT_MS);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    const client = this.#client;
    this.#client = null;
    if (client === null) return;
    // The connection is ended rather than returned: it is subscribed to the channel.
    client.removeAllListeners('end');
    client.removeAllListeners('error');
    client.on('error', () => {});
    client.release(true);
  }
}
