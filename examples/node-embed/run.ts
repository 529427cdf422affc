/**
 * node-embed example: a host node embedding the netconf master behind a UDP socket on 127.0.0.1,
 * with the admin API (ZeroTier's controller API) served beside it on 127.0.0.1, and three
 * simulated members. The administration goes over HTTP, as an operator's tool would send it.
 * Shows ERROR 7 for members not yet authorized, ERROR 3 for an unknown network, OK with a signed
 * config after authorization, and NETWORK_CONFIG_REFRESH pushed after administrative changes.
 *
 *   npm run example:node-embed
 *
 * SIMULATION ONLY: plain UDP frames (see frame.ts), loopback only; it stops by itself.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Identity, createNetconfMaster, openSqlJsStorage, type NetworkConfig } from '../../src/index.js';
import { serveAdminApi } from '../../src/node/index.js';
import { TEST_IDENTITIES } from '../../src/testing/index.js';
import { NetconfUdpHost } from './host.js';
import { SimulatedMember, type MemberEvent } from './member.js';

export interface NodeEmbedTranscript {
  nwid: string;
  /** Where the admin API was served, and each administrative request with its answer's status. */
  adminUrl: string;
  adminRequests: { method: string; path: string; status: number }[];
  masterAddress: string;
  /** Wire error codes each member got before authorization, by address. */
  deniedCodes: Record<string, number>;
  /** Wire error code for a network that does not exist. */
  unknownNetworkCode: number;
  authorized: string;
  /** Members the host sent a refresh to after each change. */
  refreshedAfterAuthorize: string[];
  refreshedAfterChange: string[];
  firstConfig: NetworkConfig;
  configAfterChange: NetworkConfig;
  /** What the members that stayed unauthorized received after the change (should be nothing). */
  othersEventsAfterChange: MemberEvent[];
  lines: string[];
}

const isError = (nwid: string) => (e: MemberEvent) => e.kind === 'error' && e.nwid === nwid;
const isConfig = (nwid: string) => (e: MemberEvent) => e.kind === 'config' && e.nwid === nwid;

export async function runNodeEmbedExample(print: (line: string) => void = () => {}): Promise<NodeEmbedTranscript> {
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
    print(line);
  };
  const [masterSecret, ...memberSecrets] = TEST_IDENTITIES.map((secret) => Identity.fromString(secret));
  if (masterSecret === undefined || memberSecrets.length < 3) throw new Error('need four shipped test identities');
  const masterIdentity = masterSecret;
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity);
  const host = await NetconfUdpHost.start({ master, identity: masterIdentity, log });
  // The admin API beside the UDP transport: loopback, a port the system picks, a token of our own.
  const token = randomBytes(12).toString('hex');
  const adminServer = await serveAdminApi(master, {
    port: 0,
    tokens: [{ name: 'node-embed', token, scope: 'admin' }],
    publicIdentity: masterIdentity.toString(false),
  });
  const adminRequests: NodeEmbedTranscript['adminRequests'] = [];
  /** One administrative request over HTTP, as ztncui or curl would send it. */
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(adminServer.url + path, {
      method,
      headers: { 'X-ZT1-Auth': token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    adminRequests.push({ method, path, status: response.status });
    log(`admin API: ${method} ${path} → ${response.status}`);
    const answer = (await response.json()) as T & { description?: string };
    if (!response.ok) throw new Error(`${method} ${path}: ${answer.description ?? response.status}`);
    return answer;
  };
  const members: SimulatedMember[] = [];
  try {
    log(`master ${masterIdentity.address} listening on udp ${host.endpoint.address}:${host.endpoint.port} (plain frames: a simulation)`);
    log(`admin API on ${adminServer.url} (X-ZT1-Auth: the token this run made)`);
    const created = await admin<{ id: string }>('POST', `/controller/network/${masterIdentity.address}______`, {
      name: 'embed-lab',
      private: true,
      v4AssignMode: { zt: true },
      ipAssignmentPools: ['10.99.0.0/24'],
    });
    const nwid = created.id;
    log(`created private network ${nwid} "embed-lab" with pool 10.99.0.0/24`);

    for (const identity of memberSecrets.slice(0, 3)) members.push(await SimulatedMember.start(identity, host.endpoint, log));
    const [alice, bob, carol] = members as [SimulatedMember, SimulatedMember, SimulatedMember];

    const deniedCodes: Record<string, number> = {};
    for (const member of members) {
      await member.join(nwid);
      const event = await member.waitFor(isError(nwid));
      if (event.kind === 'error') deniedCodes[member.address] = event.code;
    }

    const unknownNwid = (BigInt(`0x${nwid}`) ^ 0xffffffn).toString(16).padStart(16, '0');
    const mark = alice.events.length;
    await alice.request(unknownNwid);
    const unknown = await alice.waitFor(isError(unknownNwid), mark);
    const unknownNetworkCode = unknown.kind === 'error' ? unknown.code : -1;

    log(`admin: authorize ${alice.address}`);
    let since = alice.events.length;
    let refreshMark = host.refreshesSent.length;
    await admin('POST', `/controller/network/${nwid}/member/${alice.address}`, { authorized: true });
    const first = await alice.waitFor(isConfig(nwid), since);
    const refreshedAfterAuthorize = host.refreshesSent.slice(refreshMark).flatMap((r) => r.addresses);
    if (first.kind !== 'config') throw new Error('unreachable');

    log('admin: rename the network and turn broadcast off');
    since = alice.events.length;
    const othersSince = [bob.events.length, carol.events.length];
    refreshMark = host.refreshesSent.length;
    await admin('POST', `/controller/network/${nwid}`, { name: 'embed-lab-renamed', enableBroadcast: false });
    const second = await alice.waitFor(
      (e) => e.kind === 'config' && e.nwid === nwid && e.config.revision > first.config.revision,
      since,
    );
    if (second.kind !== 'config') throw new Error('unreachable');
    // Give a stray datagram to the unauthorized members a moment to arrive, then check there was none.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const othersEventsAfterChange = [...bob.events.slice(othersSince[0]), ...carol.events.slice(othersSince[1])];
    const refreshedAfterChange = host.refreshesSent.slice(refreshMark).flatMap((r) => r.addresses);

    log(
      `done: ${alice.address} holds rev ${second.config.revision} "${second.config.name}", ` +
        `${bob.address} and ${carol.address} still denied`,
    );
    return {
      nwid,
      adminUrl: adminServer.url,
      adminRequests,
      masterAddress: masterIdentity.address,
      deniedCodes,
      unknownNetworkCode,
      authorized: alice.address,
      refreshedAfterAuthorize,
      refreshedAfterChange,
      firstConfig: first.config,
      configAfterChange: second.config,
      othersEventsAfterChange,
      lines,
    };
  } finally {
    await Promise.all(members.map((member) => member.close()));
    await adminServer.close();
    await host.close();
    await master.close();
    await storage.close();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runNodeEmbedExample((line) => console.log(line)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
