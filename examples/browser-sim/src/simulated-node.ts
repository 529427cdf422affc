/**
 * A simulated member node: an identity with its private key, the networks it joined, and what it
 * last received from the master for each. It asks the master directly (no wire, no packets) and
 * checks what comes back the way a node would: the dictionary's signature against the master's
 * identity, then the member-side reading of the config (NetworkConfig.fromDictionary).
 */
import { Dictionary, Identity, NetworkConfig, ResultCode } from '../../../src/index.js';
import type { NetconfMaster } from './master-types.js';

export interface NetworkView {
  /** Name of the last result code, or a local failure. */
  lastResult: string;
  /** The last config accepted (kept when later requests are denied, as a node would). */
  config?: NetworkConfig;
  /** Serialized form of that config, for display. */
  dictionaryText?: string;
  lastRequestAt?: number;
}

export interface RequestOutcome {
  code: number;
  codeName: string;
  /** Set when a config was received and accepted. */
  config?: NetworkConfig;
  detail?: string;
}

const RESULT_NAMES = new Map<number, string>(
  Object.entries(ResultCode)
    .filter(([, value]) => typeof value === 'number')
    .map(([name, value]) => [value as number, name]),
);

export function resultCodeName(code: number): string {
  return RESULT_NAMES.get(code) ?? `code ${code}`;
}

export class SimulatedNode {
  readonly views = new Map<string, NetworkView>();

  constructor(
    readonly identity: Identity,
    readonly networks: Set<string>,
  ) {}

  get address(): string {
    return this.identity.address;
  }

  view(nwid: string): NetworkView {
    let view = this.views.get(nwid);
    if (view === undefined) {
      view = { lastResult: 'not asked yet' };
      this.views.set(nwid, view);
    }
    return view;
  }

  /** The revision of the config this node holds for a network, 0 when none. */
  heldRevision(nwid: string): bigint {
    return this.views.get(nwid)?.config?.revision ?? 0n;
  }

  async requestConfig(master: NetconfMaster, masterIdentity: Identity, nwid: string): Promise<RequestOutcome> {
    const view = this.view(nwid);
    view.lastRequestAt = Date.now();
    const reply = await master.doNetworkConfigRequest({
      fromAddr: null,
      identity: this.identity.publicOnly(),
      nwid,
      metaData: new Dictionary(),
      haveRevision: this.heldRevision(nwid),
    });
    const codeName = resultCodeName(reply.code);
    if (reply.code !== ResultCode.OK) {
      view.lastResult = codeName;
      return { code: reply.code, codeName, ...(reply.error ? { detail: reply.error } : {}) };
    }
    const netconf = reply.netconf;
    // What travels is the serialized dictionary: read it back as a node would.
    const received = Dictionary.parse(netconf.toString());
    if (!received.verify(masterIdentity)) {
      view.lastResult = 'bad signature';
      return { code: reply.code, codeName, detail: 'signature does not verify' };
    }
    const config = NetworkConfig.fromDictionary(received);
    view.config = config;
    view.dictionaryText = received.toString();
    view.lastResult = codeName;
    return { code: reply.code, codeName, config };
  }
}
