/**
 * `serve --udp`: answers plain NETWORK_CONFIG_REQUEST frames (plain-udp-frame.ts) with OK or
 * ERROR frames, and pushes NETWORK_CONFIG_REFRESH after administrative changes to the members the
 * master lists, at the endpoint each was last heard from. UNENCRYPTED: for simulations and test
 * harnesses, so members written in any language can run against a real master process.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import type { AdminMetrics } from '../admin-api/metrics.js';
import { Identity } from '../crypto/identity.js';
import { InvalidArgumentError } from '../errors.js';
import type { NetconfMaster } from '../master/master.js';
import { ResultCode } from '../master/request.js';
import { hex16 } from '../protocol/ids.js';
import {
  Verb, WireErrorCode, encodeNetworkConfigError, encodeNetworkConfigOk, encodeNetworkConfigRefresh, parseNetworkConfigRequest,
} from '../protocol/wire.js';
import { decodePlainFrame, encodePlainFrame } from './plain-udp-frame.js';

export interface PlainUdpHostOptions {
  master: NetconfMaster;
  /** The master's identity (sent with each answer so members can verify the netconf). */
  identity: Identity;
  host: string;
  port: number;
  metrics?: AdminMetrics;
  log?: (line: string) => void;
}

export interface PlainUdpHost {
  readonly host: string;
  readonly port: number;
  /** Stops listening, waits for requests in flight. */
  close(): Promise<void>;
}

/** Reads `host:port` (`[::1]:9994` for IPv6). */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || isIP(host) === 0 || port > 65535) {
    throw new InvalidArgumentError(`expected <ip>:<port> (e.g. 127.0.0.1:9994), got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

export async function startPlainUdpHost(options: PlainUdpHostOptions): Promise<PlainUdpHost> {
  const { master, metrics } = options;
  const log = options.log ?? (() => {});
  const socket = createSocket(isIP(options.host) === 6 ? 'udp6' : 'udp4');
  const masterIdentity = options.identity.toString(false);
  const peers = new Map<string, { address: string; port: number }>();
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    pending.add(work);
    void work.catch((error) => log(`udp: ${(error as Error).message}`)).finally(() => pending.delete(work));
  };
  const send = (to: { address: string; port: number }, verb: Verb, payload: Uint8Array) =>
    new Promise<void>((resolve, reject) =>
      socket.send(encodePlainFrame({ verb, senderIdentity: masterIdentity, payload }), to.port, to.address, (error) =>
        error ? reject(error) : resolve(),
      ),
    );

  const answer = async (datagram: Buffer, remote: RemoteInfo): Promise<void> => {
    let member: Identity;
    let request;
    try {
      const frame = decodePlainFrame(new Uint8Array(datagram));
      if (frame.verb !== Verb.NETWORK_CONFIG_REQUEST) return;
      member = Identity.fromString(frame.senderIdentity);
      request = parseNetworkConfigRequest(frame.payload);
    } catch (error) {
      log(`udp: dropped a malformed datagram from ${remote.address}/${remote.port}: ${(error as Error).message}`);
      return;
    }
    const started = performance.now();
    const reply = await master.doNetworkConfigRequest({
      fromAddr: `${remote.address}/${remote.port}`,
      identity: member,
      nwid: request.nwid,
      metaData: request.metaData,
      haveRevision: request.haveRevision,
    });
    metrics?.observeConfigRequest(reply.code, (performance.now() - started) / 1000);
    peers.set(member.address, { address: remote.address, port: remote.port });
    if (reply.code === ResultCode.OK && reply.netconf) {
      await send(remote, Verb.OK, encodeNetworkConfigOk(request.nwid, reply.netconf));
    } else if (reply.code === ResultCode.OBJECT_NOT_FOUND) {
      await send(remote, Verb.ERROR, encodeNetworkConfigError(WireErrorCode.OBJECT_NOT_FOUND, request.nwid));
    } else if (reply.code === ResultCode.ACCESS_DENIED) {
      await send(remote, Verb.ERROR, encodeNetworkConfigError(WireErrorCode.NETWORK_ACCESS_DENIED, request.nwid));
    } else if (reply.code === ResultCode.INTERNAL_SERVER_ERROR) {
      log(`udp: internal error answering ${member.address} on ${hex16(request.nwid)}: ${reply.error ?? 'unknown'}`);
    }
  };

  const unsubscribe = master.subscribe((event) => {
    track(event.refresh().then(async (addresses) => {
      for (const address of addresses) {
        const endpoint = peers.get(address);
        if (endpoint !== undefined) await send(endpoint, Verb.NETWORK_CONFIG_REFRESH, encodeNetworkConfigRefresh([event.nwid]));
      }
    }));
  });
  socket.on('message', (datagram, remote) => track(answer(datagram, remote)));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const bound = socket.address();
  return {
    host: bound.address,
    port: bound.port,
    async close() {
      unsubscribe();
      socket.removeAllListeners('message');
      await Promise.allSettled([...pending]);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
