/**
 * A minimal host node that embeds the netconf master behind a UDP socket on 127.0.0.1.
 *
 * It does what master.md §1 asks of a host: decode NETWORK_CONFIG_REQUEST payloads, call the
 * master, answer OK (with the signed netconf) or ERROR 3 / ERROR 7, send nothing for
 * OK_BUT_NOT_NEWER, log internal errors. After an administrative change it pushes
 * NETWORK_CONFIG_REFRESH to the members the master lists, at the endpoint each was last heard from.
 *
 * SIMULATION ONLY: frames are plain (see frame.ts): no ZeroTier packet encryption or authentication.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  Identity,
  ResultCode,
  WireErrorCode,
  encodeNetworkConfigError,
  encodeNetworkConfigOk,
  encodeNetworkConfigRefresh,
  parseNetworkConfigRequest,
} from '../../src/index.js';
import { Verb, decodeFrame, encodeFrame } from './frame.js';
import type { NetconfMaster } from './master-types.js';

export interface Endpoint {
  address: string;
  port: number;
}

export interface HostOptions {
  master: NetconfMaster;
  /** The master's identity (the host answers as this node). */
  identity: Identity;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  log?: (line: string) => void;
}

export class NetconfUdpHost {
  /** Where each member (by address) was last heard from, like a node's peer table. */
  private readonly peers = new Map<string, Endpoint>();
  private readonly publicIdentity: string;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;
  /** Every NETWORK_CONFIG_REFRESH this host sent, in order. */
  readonly refreshesSent: { nwid: string; addresses: string[] }[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly master: NetconfMaster,
    identity: Identity,
    private readonly log: (line: string) => void,
  ) {
    this.publicIdentity = identity.toString(false);
    // After each committed administrative change, refresh the members the master lists.
    this.unsubscribe = master.subscribe((event) => {
      this.track(event.refresh().then((members) => (members.length > 0 ? this.sendRefresh(event.nwid, members) : undefined)));
    });
  }

  static async start(options: HostOptions): Promise<NetconfUdpHost> {
    const socket = createSocket('udp4');
    const host = new NetconfUdpHost(socket, options.master, options.identity, options.log ?? (() => {}));
    socket.on('message', (datagram, remote) => host.track(host.handle(datagram, remote)));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return host;
  }

  get endpoint(): Endpoint {
    const { address, port } = this.socket.address();
    return { address, port };
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async handle(datagram: Buffer, remote: RemoteInfo): Promise<void> {
    const from = `${remote.address}/${remote.port}`;
    let frame;
    let member: Identity;
    try {
      frame = decodeFrame(new Uint8Array(datagram));
      member = Identity.fromString(frame.senderIdentity);
    } catch (error) {
      this.log(`host: dropped a malformed datagram from ${from}: ${(error as Error).message}`);
      return;
    }
    if (frame.verb !== Verb.NETWORK_CONFIG_REQUEST) {
      this.log(`host: ignored verb ${frame.verb} from ${member.address}`);
      return;
    }
    let request;
    try {
      request = parseNetworkConfigRequest(frame.payload);
    } catch (error) {
      this.log(`host: dropped a malformed request from ${member.address}: ${(error as Error).message}`);
      return;
    }
    const nwid = request.nwid.toString(16).padStart(16, '0');
    const reply = await this.master.doNetworkConfigRequest({
      fromAddr: from,
      identity: member,
      nwid: request.nwid,
      metaData: request.metaData,
      haveRevision: request.haveRevision,
    });
    this.peers.set(member.address, { address: remote.address, port: remote.port });
    switch (reply.code) {
      case ResultCode.OK:
        if (reply.netconf === undefined || reply.netconf === null) {
          this.log(`host: OK without a netconf for ${member.address} on ${nwid}`);
          return;
        }
        this.log(`host: ${member.address} asked for ${nwid} (have rev ${request.haveRevision}) → OK`);
        await this.send(remote, Verb.OK, encodeNetworkConfigOk(request.nwid, reply.netconf));
        return;
      case ResultCode.OK_BUT_NOT_NEWER:
        this.log(`host: ${member.address} asked for ${nwid} (have rev ${request.haveRevision}) → up to date, nothing sent`);
        return;
      case ResultCode.OBJECT_NOT_FOUND:
        this.log(`host: ${member.address} asked for ${nwid} → ERROR 3 (object not found)`);
        await this.send(remote, Verb.ERROR, encodeNetworkConfigError(WireErrorCode.OBJECT_NOT_FOUND, request.nwid));
        return;
      case ResultCode.ACCESS_DENIED:
        this.log(`host: ${member.address} asked for ${nwid} → ERROR 7 (access denied)`);
        await this.send(remote, Verb.ERROR, encodeNetworkConfigError(WireErrorCode.NETWORK_ACCESS_DENIED, request.nwid));
        return;
      default:
        this.log(`host: internal error answering ${member.address} on ${nwid}: ${reply.error ?? 'unknown'} (nothing sent)`);
    }
  }

  /** Sends NETWORK_CONFIG_REFRESH to every member the master lists now (e.g. after a restart). */
  async pushRefresh(nwid: string): Promise<string[]> {
    return this.sendRefresh(nwid, await this.master.membersToRefresh(nwid));
  }

  private async sendRefresh(nwid: string, addresses: readonly string[]): Promise<string[]> {
    const sent: string[] = [];
    for (const address of addresses) {
      const endpoint = this.peers.get(address);
      if (endpoint === undefined) continue; // never heard from it: no path to send on
      await this.send(endpoint, Verb.NETWORK_CONFIG_REFRESH, encodeNetworkConfigRefresh([nwid]));
      sent.push(address);
    }
    if (sent.length > 0) {
      this.refreshesSent.push({ nwid, addresses: sent });
      this.log(`host: NETWORK_CONFIG_REFRESH ${nwid} → ${sent.join(', ')}`);
    }
    return sent;
  }

  private send(to: Endpoint, verb: Verb, payload: Uint8Array): Promise<void> {
    const datagram = encodeFrame({ verb, senderIdentity: this.publicIdentity, payload });
    return new Promise((resolve, reject) =>
      this.socket.send(datagram, to.port, to.address, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Waits for requests in flight, then closes the socket. */
  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.allSettled([...this.pending]);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
