/** The admin client over the library's master on a database file this process opens (and locks). */
import { createNetconfMaster } from '../../master/index.js';
import { openSqlJsStorage } from '../../storage/index.js';
import { loadMasterIdentity } from '../identity-files.js';
import { requireDatabase } from '../paths.js';
import type { AdminClient } from './admin-client.js';

export interface LocalClientOptions {
  /** The database file; it must exist. */
  db: string;
  /** The master's secret identity file. */
  identity: string;
}

export async function openLocalClient(options: LocalClientOptions): Promise<AdminClient> {
  const identity = await loadMasterIdentity(options.identity);
  await requireDatabase(options.db);
  const storage = await openSqlJsStorage({ path: options.db });
  // The audit trail names the CLI as who made each change; no expiry timer for a one-shot command.
  const master = createNetconfMaster(storage, identity, { actor: 'cli', memberExpiryInterval: 0 });
  return {
    createNetwork: (settings) => master.createNetwork(settings),
    getNetwork: (nwid) => master.getNetwork(nwid),
    listNetworks: () => master.listNetworks(),
    updateNetwork: (nwid, patch) => master.updateNetwork(nwid, patch),
    deleteNetwork: (nwid) => master.deleteNetwork(nwid),
    addIpPool: (nwid, cidr) => master.addIpPool(nwid, cidr),
    removeIpPool: (nwid, cidr) => master.removeIpPool(nwid, cidr),
    getMember: (nwid, address) => master.getMember(nwid, address),
    listMembers: (nwid) => master.listMembers(nwid),
    authorizeMember: (nwid, address) => master.authorizeMember(nwid, address),
    deauthorizeMember: (nwid, address) => master.deauthorizeMember(nwid, address),
    setActiveBridge: (nwid, address, on) => master.setActiveBridge(nwid, address, on),
    setMemberName: (nwid, address, name) => master.setMemberName(nwid, address, name),
    setMemberNotes: (nwid, address, notes) => master.setMemberNotes(nwid, address, notes),
    setIpAssignments: (nwid, address, cidrs) => master.setIpAssignments(nwid, address, cidrs),
    deleteMember: (nwid, address) => master.deleteMember(nwid, address),
    createJoinToken: (nwid, options) => master.createJoinToken(nwid, options),
    listJoinTokens: (nwid) => master.listJoinTokens(nwid),
    revokeJoinToken: (nwid, id) => master.revokeJoinToken(nwid, id),
    pruneMembers: (nwid, options) => master.pruneMembers(nwid, options),
    listAuditEntries: (query) => master.listAuditEntries(query),
    masterIdentity: async () => ({ address: identity.address, identity: identity.toString(false) }),
    onWarning: (listener) => master.on('warning', (event) => listener(event.message)),
    close: async () => {
      await master.close();
      await storage.close();
    },
  };
}
