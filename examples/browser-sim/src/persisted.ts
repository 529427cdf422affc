/**
 * What the simulation keeps in localStorage besides the master's database (which lives in
 * IndexedDB): the master's identity secret, and the simulated member nodes (their identity
 * secrets and the networks they joined). A real deployment keeps the master's secret in a
 * protected file; this page is a simulation and says so.
 */
const MASTER_KEY = 'zt-netconf-sim:master-identity';
const NODES_KEY = 'zt-netconf-sim:nodes';
export const DATABASE_NAME = 'zt-netconf-sim';

export interface StoredNode {
  /** Identity string including the private key. */
  secret: string;
  /** hex16 network IDs this node asked to join. */
  networks: string[];
}

export function loadMasterSecret(): string | null {
  return localStorage.getItem(MASTER_KEY);
}

export function saveMasterSecret(secret: string): void {
  localStorage.setItem(MASTER_KEY, secret);
}

export function loadNodes(): StoredNode[] {
  const text = localStorage.getItem(NODES_KEY);
  if (text === null) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (n): n is StoredNode =>
        typeof n === 'object' && n !== null && typeof n.secret === 'string' && Array.isArray(n.networks),
    );
  } catch {
    return [];
  }
}

export function saveNodes(nodes: readonly StoredNode[]): void {
  localStorage.setItem(NODES_KEY, JSON.stringify(nodes));
}

/** Forgets everything: the identity, the nodes and the master's database. */
export async function clearEverything(): Promise<void> {
  localStorage.removeItem(MASTER_KEY);
  localStorage.removeItem(NODES_KEY);
  await new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(DATABASE_NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}
