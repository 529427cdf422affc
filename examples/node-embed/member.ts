/**
 * A simulated member node for the node-embed example: a UDP socket on 127.0.0.1 that asks the
 * host for network configs and checks what it gets as a ZeroTier node does: the sender must be the
 * network's master (its address is the network ID's top 40 bits), the netconf's signature must
 * verify with the master's identity, and the config must read (NetworkConfig.fromDictionary).
 * On NETWORK_CONFIG_REFRESH it asks again for the networks it joined.
 *
 * SIMULATION ONLY: plain frames, see frame.ts.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  Identity,
  NetworkConfig,
  encodeNetworkConfigRequest,
  parseNetworkConfigError,
  parseNetworkConfigOk,
  parseNetworkConfigRefresh,
} from '../../src/index.js';
import { Verb, decodeFrame, encodeFrame } from './frame.js';
import type { Endpoint } from './host.js';

export type MemberEvent =
  | { kind: 'config'; nwid: string; config: NetworkConfig }
  | { kind: 'error'; nwid: string; code: number }
  | { kind: 'refresh'; nwids: string[] }
  | { kind: 'rejected'; reason: string };

const hex16 = (value: bigint): string => value.toString(16).padStart(16, '0');

export class SimulatedMember {
  readonly events: MemberEvent[] = [];
  readonly configs = new Map<string, NetworkConfig>();
  private readonly joined = new Set<string>();
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly identity: Identity,
    private readonly socket: Socket,
    private readonly host: Endpoint,
    private readonly log: (line: string) => void,
  ) {}

  static async start(identity: Identity, host: Endpoint, log: (line: string) => void = () => {}): Promise<SimulatedMember> {
    const socket = createSocket('udp4');
    const member = new SimulatedMember(identity, socket, host, log);
    socket.on('message', (datagram) => member.receive(new Uint8Array(datagram)));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return member;
  }

  get address(): string {
    return this.identity.address;
  }

  /** Joins a network: remembers it and asks for its config. */
  async join(nwid: string): Promise<void> {
    this.joined.add(nwid);
    await this.request(nwid);
  }

  async request(nwid: string): Promise<void> {
    const haveRevision = this.configs.get(nwid)?.revision ?? 0n;
    const payload = encodeNetworkConfigRequest({ nwid, haveRevision });
    const datagram = encodeFrame({ verb: Verb.NETWORK_CONFIG_REQUEST, senderIdentity: this.identity.toString(false), payload });
    await new Promise<void>((resolve, reject) =>
      this.socket.send(datagram, this.host.port, this.host.address, (error) => (error ? reject(error) : resolve())),
    );
  }

  private record(event: MemberEvent): void {
    this.events.push(event);
    for (const listener of [...this.listeners]) listener();
  }

  private reject(reason: string): void {
    this.log(`${this.address}: rejected a datagram: ${reason}`);
    this.record({ kind: 'rejected', reason });
  }

  private receive(datagram: Uint8Array): void {
    let frame;
    let sender: Identity;
    try {
      frame = decodeFrame(datagram);
      sender = Identity.fromString(frame.senderIdentity);
    } catch (error) {
      this.reject((error as Error).message);
      return;
    }
    try {
      switch (frame.verb) {
        case Verb.OK:
          this.receiveConfig(sender, frame.payload);
          return;
        case Verb.ERROR: {
          const error = parseNetworkConfigError(frame.payload);
          const nwid = hex16(error.nwid);
          this.log(`${this.address}: ERROR ${error.code} for ${nwid}`);
          this.record({ kind: 'error', nwid, code: error.code });
          return;
        }
        case Verb.NETWORK_CONFIG_REFRESH: {
          const nwids = parseNetworkConfigRefresh(frame.payload).map(hex16);
          this.log(`${this.address}: NETWORK_CONFIG_REFRESH for ${nwids.join(', ')}: asking again`);
          this.record({ kind: 'refresh', nwids });
          for (const nwid of nwids) if (this.joined.has(nwid)) void this.request(nwid);
          return;
        }
        default:
          this.reject(`unexpected verb ${frame.verb}`);
      }
    } catch (error) {
      this.reject((error as Error).message);
    }
  }

  private receiveConfig(sender: Identity, payload: Uint8Array): void {
    const ok = parseNetworkConfigOk(payload);
    const nwid = hex16(ok.nwid);
    if ((ok.nwid >> 24n) !== sender.addressValue) {
      this.reject(`config for ${nwid} from ${sender.address}, which is not its master`);
      return;
    }
    if (!ok.netconf.verify(sender)) {
      this.reject(`config for ${nwid}: signature does not verify`);
      return;
    }
    const config = NetworkConfig.fromDictionary(ok.netconf);
    if (config.issuedTo !== this.address) {
      this.reject(`config for ${nwid} issued to ${config.issuedTo}`);
      return;
    }
    this.configs.set(nwid, config);
    const ips = config.staticIps.length > 0 ? `, addresses ${config.staticIps.join(', ')}` : '';
    this.log(`${this.address}: config for ${nwid} "${config.name}" rev ${config.revision}${ips} (signature verified)`);
    this.record({ kind: 'config', nwid, config });
  }

  /** Resolves with the first event (from index `since` on) that matches, or rejects after timeoutMs. */
  waitFor(match: (event: MemberEvent) => boolean, since = 0, timeoutMs = 10_000): Promise<MemberEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.slice(since).find(match);
        if (found === undefined) return false;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(found);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.address}: timed out after ${timeoutMs} ms waiting for an event`));
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
