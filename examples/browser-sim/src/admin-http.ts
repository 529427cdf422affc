/**
 * The page administers its master the way an operator's tool does: ZeroTier controller API
 * requests (Fetch `Request` objects with a token) answered by the library's handler,
 * `createAdminApi(master)`, running in this page. Nothing leaves the browser: the request goes from
 * this object to the handler as a function call, but it is the same request and the same answer a
 * tool such as ztncui gets over HTTP from `zt-netconf-master serve`.
 */
import type { AdminApi } from '../../../src/index.js';

/** A network as the API answers it (the fields this page shows). */
export interface NetworkJson {
  id: string;
  name: string;
  private: boolean;
  revision: number;
  comRevisionMaxDelta: number;
  v4AssignMode: { zt: boolean };
  ipAssignmentPools: { ipRangeStart: string; ipRangeEnd: string }[];
}

/** A member as the API answers it (the fields this page shows). */
export interface MemberJson {
  address: string;
  authorized: boolean;
  activeBridge: boolean;
  clientReportedRevision: number | null;
}

/** A refusal: the API's status and description. */
export class AdminHttpError extends Error {
  constructor(readonly status: number, description: string) {
    super(description);
  }
}

export class AdminHttp {
  constructor(
    private readonly api: AdminApi,
    private readonly token: string,
    /** Told of every change asked for (not of reads, which every render makes). */
    private readonly onChange: (line: string, ok: boolean) => void,
  ) {}

  /** One API request answered with JSON; a refusal throws with the API's own description. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await this.send(method, path, body);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A GET answered with text (`/metrics`). */
  text(path: string): Promise<string> {
    return this.send('GET', path);
  }

  private async send(method: string, path: string, body?: unknown): Promise<string> {
    const headers: Record<string, string> = { 'X-ZT1-Auth': this.token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const request = new Request(`http://master.simulation${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const response = await this.api.handle(request);
    const text = await response.text();
    if (method !== 'GET') this.onChange(`admin API: ${method} ${path} ${body === undefined ? '' : `${JSON.stringify(body)} `}→ ${response.status}`, response.ok);
    if (!response.ok) {
      let description = `the admin API answered ${response.status}`;
      try {
        description = (JSON.parse(text) as { description?: string }).description ?? description;
      } catch {
        // not JSON: keep the status
      }
      throw new AdminHttpError(response.status, description);
    }
    return text;
  }

  /** The network, or null when there is none (404). */
  async network(nwid: string): Promise<NetworkJson | null> {
    try {
      return await this.call<NetworkJson>('GET', `/controller/network/${nwid}`);
    } catch (error) {
      if (error instanceof AdminHttpError && error.status === 404) return null;
      throw error;
    }
  }

  async networks(): Promise<NetworkJson[]> {
    return (await this.call<{ data: NetworkJson[] }>('GET', '/unstable/controller/network')).data;
  }

  async members(nwid: string): Promise<MemberJson[]> {
    return (await this.call<{ data: MemberJson[] }>('GET', `/unstable/controller/network/${nwid}/member`)).data;
  }

  changeNetwork(nwid: string, body: Record<string, unknown>): Promise<NetworkJson> {
    return this.call('POST', `/controller/network/${nwid}`, body);
  }

  changeMember(nwid: string, address: string, body: Record<string, unknown>): Promise<MemberJson> {
    return this.call('POST', `/controller/network/${nwid}/member/${address}`, body);
  }
}
