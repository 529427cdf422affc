/**
 * The simulation's state and actions: one master (in this page), simulated member nodes, and the
 * selected network. Every administrative action is a request to the master's admin API (its
 * Fetch handler, in this page; see admin-http.ts); the master's 'change' events then tell which
 * members must refresh, and those nodes request their config again, as a host node would after
 * sending NETWORK_CONFIG_REFRESH.
 */
import { Identity } from '../../../src/index.js';
import { TEST_IDENTITIES } from '../../../src/testing/index.js';
import type { AdminHttp, NetworkJson } from './admin-http.js';
import type { NetconfMaster } from './master-types.js';
import { SimulatedNode } from './simulated-node.js';
import { kindOfResult, log } from './log.js';
import { loadNodes, saveNodes } from './persisted.js';
import { renderNetworkList, renderNetworkView } from './view.js';

export class SimulationApp {
  readonly nodes = new Map<string, SimulatedNode>();
  selected: string | null = null;
  /** Members currently re-requesting after a refresh, for display. */
  readonly refreshing = new Set<string>();
  /** Text shown while an identity is being generated. */
  generating: string | null = null;
  private renderQueued: Promise<void> | null = null;

  constructor(
    /** The master itself: its change events and the simulated nodes' config requests. */
    readonly master: NetconfMaster,
    /** Every administrative read and change. */
    readonly admin: AdminHttp,
    readonly masterIdentity: Identity,
  ) {
    for (const stored of loadNodes()) {
      const identity = Identity.fromString(stored.secret);
      this.nodes.set(identity.address, new SimulatedNode(identity, new Set(stored.networks)));
    }
  }

  private persistNodes(): void {
    saveNodes(
      [...this.nodes.values()].map((node) => ({
        secret: node.identity.toString(true),
        networks: [...node.networks],
      })),
    );
  }

  /** Re-renders the page from the master's state (coalesces overlapping calls). */
  render(): Promise<void> {
    if (this.renderQueued === null) {
      this.renderQueued = Promise.resolve().then(async () => {
        this.renderQueued = null;
        await renderNetworkList(this);
        await renderNetworkView(this);
      });
    }
    return this.renderQueued;
  }

  /** Every simulated node asks for the configs of the networks it joined, as nodes do at start. */
  async bootNodes(): Promise<void> {
    for (const node of this.nodes.values()) {
      for (const nwid of node.networks) await this.request(node, nwid, 'start-up');
    }
  }

  async select(nwid: string | null): Promise<void> {
    this.selected = nwid;
    await this.render();
  }

  async createNetwork(name: string, isPrivate: boolean): Promise<void> {
    try {
      const network = await this.admin.call<NetworkJson>('POST', '/controller/network', { name, private: isPrivate });
      log('event', `created ${isPrivate ? 'private' : 'public'} network ${network.id} "${name}"`);
      await this.select(network.id);
    } catch (error) {
      log('error', `create network failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async deleteNetwork(nwid: string): Promise<void> {
    await this.admin.call('DELETE', `/controller/network/${nwid}`);
    for (const node of this.nodes.values()) {
      node.networks.delete(nwid);
      node.views.delete(nwid);
    }
    this.persistNodes();
    log('event', `deleted network ${nwid}`);
    await this.select(null);
  }

  /** A node with a ready-made identity (shipped test identities): instant. */
  async spawnInstantMember(nwid: string): Promise<void> {
    const secret = TEST_IDENTITIES.find(
      (s) => !this.nodes.has(Identity.fromString(s).address) && Identity.fromString(s).address !== this.masterIdentity.address,
    );
    if (secret === undefined) {
      log('error', 'all shipped test identities are in use: generate a fresh one');
      return;
    }
    await this.join(Identity.fromString(secret), nwid);
  }

  /** A node with a freshly generated identity (memory-hard hash: takes a moment; the page stays live). */
  async spawnFreshMember(nwid: string): Promise<void> {
    this.generating = 'generating an identity…';
    await this.render();
    const started = performance.now();
    const identity = await Identity.generate({
      onProgress: (attempts) => {
        this.generating = `generating an identity… ${attempts} attempt${attempts === 1 ? '' : 's'}`;
        const progress = document.querySelector('[data-testid="generate-progress"]');
        if (progress !== null) progress.textContent = this.generating;
      },
    });
    this.generating = null;
    log('event', `generated identity ${identity.address} in ${Math.round(performance.now() - started)} ms`);
    await this.join(identity, nwid);
  }

  private async join(identity: Identity, nwid: string): Promise<void> {
    const node = this.nodes.get(identity.address) ?? new SimulatedNode(identity, new Set());
    this.nodes.set(identity.address, node);
    node.networks.add(nwid);
    this.persistNodes();
    log('event', `node ${identity.address} joins ${nwid}`);
    await this.request(node, nwid, 'join');
    await this.render();
  }

  /** One config request from a simulated node, logged. */
  async request(node: SimulatedNode, nwid: string, why: string): Promise<void> {
    try {
      const outcome = await node.requestConfig(this.master, this.masterIdentity, nwid);
      const revision = outcome.config ? ` rev ${outcome.config.revision}` : '';
      const detail = outcome.detail ? ` (${outcome.detail})` : '';
      log(
        kindOfResult(outcome.codeName),
        `${node.address} asks for ${nwid} (${why}): ${outcome.codeName}${revision}${detail}`,
      );
    } catch (error) {
      node.view(nwid).lastResult = 'error';
      log('error', `${node.address} request failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async requestNow(address: string, nwid: string): Promise<void> {
    const node = this.nodes.get(address);
    if (node === undefined) return;
    await this.request(node, nwid, 'manual');
    await this.render();
  }

  /**
   * Runs an administrative change. What follows comes from the master's 'change' event (see
   * listenToChanges): the log line and the refresh of the members it lists.
   */
  async administer(description: string, change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } catch (error) {
      log('error', `${description} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await this.settled();
    await this.render();
  }

  /** Subscribes to the master's committed changes: log them, then refresh the listed members. */
  listenToChanges(): void {
    this.master.subscribe((event) => {
      const who = event.address ? ` ${event.address}` : '';
      log('event', `change ${event.type}${who}: ${event.nwid} at revision ${event.revision}`);
      const work = event.refresh().then((members) => this.refreshMembers(event.nwid, members));
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    });
  }

  private readonly inFlight = new Set<Promise<void>>();

  /** Waits until the refreshes started by change events are done. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Sends NETWORK_CONFIG_REFRESH (simulated) to the listed members; the simulated ones re-request. */
  private async refreshMembers(nwid: string, addresses: readonly string[]): Promise<void> {
    const simulated = addresses.filter((address) => this.nodes.get(address)?.networks.has(nwid));
    if (simulated.length === 0) return;
    log('event', `NETWORK_CONFIG_REFRESH for ${nwid} to ${simulated.join(', ')}`);
    for (const address of simulated) this.refreshing.add(address);
    await this.render();
    for (const address of simulated) {
      const node = this.nodes.get(address);
      if (node !== undefined) await this.request(node, nwid, 'refresh');
      this.refreshing.delete(address);
      await this.render();
    }
  }
}
