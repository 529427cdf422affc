/**
 * Rendering of the network list, the selected network, its members and the agreement matrix, from
 * the admin API's answers; the buttons send the admin API's requests.
 */
import type { MemberJson, NetworkJson } from './admin-http.js';
import type { SimulationApp } from './app.js';
import type { SimulatedNode } from './simulated-node.js';
import { byId, h, type Child } from './dom.js';

type Network = NetworkJson;
type Member = MemberJson;

function pill(isPrivate: boolean): HTMLElement {
  return h('span', { class: `pill ${isPrivate ? 'private' : 'public'}` }, isPrivate ? 'private' : 'public');
}

export async function renderNetworkList(app: SimulationApp): Promise<void> {
  const list = byId('network-list');
  const networks = await app.admin.networks();
  const items: HTMLElement[] = [];
  for (const network of networks) {
    const nwid = network.id;
    items.push(
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: nwid === app.selected ? 'selected' : undefined,
            'data-nwid': nwid,
            onclick: () => void app.select(nwid),
          },
          h('span', {}, h('strong', {}, network.name || '(unnamed)'), ' ', h('code', {}, nwid)),
          pill(network.private),
        ),
      ),
    );
  }
  list.replaceChildren(...(items.length > 0 ? items : [h('li', { class: 'empty' }, 'No network yet: create one.')]));
}

export async function renderNetworkView(app: SimulationApp): Promise<void> {
  const container = byId('network-view');
  const network = app.selected === null ? null : await app.admin.network(app.selected);
  if (network === null) {
    container.replaceChildren(
      h('div', { class: 'panel empty' }, 'Select or create a network to see its settings, members and certificates.'),
    );
    return;
  }
  const members = await app.admin.members(network.id);
  container.replaceChildren(
    settingsPanel(app, network),
    membersPanel(app, network, members),
    matrixPanel(app, network, members),
  );
}

function settingsPanel(app: SimulationApp, network: Network): HTMLElement {
  const nwid = network.id;
  const pools = network.ipAssignmentPools;
  const poolInput = h('input', { name: 'pool', placeholder: '10.147.17.0/24', 'data-testid': 'pool-input' });
  return h(
    'section',
    { class: 'panel', 'data-testid': 'network-settings' },
    h('h2', {}, network.name || '(unnamed)', ' ', h('code', {}, nwid), ' ', pill(network.private)),
    h(
      'dl',
      { class: 'settings' },
      h('dt', {}, 'revision'),
      h('dd', { 'data-testid': 'network-revision' }, String(network.revision)),
      h('dt', {}, 'access'),
      h(
        'dd',
        {},
        network.private ? 'members need authorization; configs carry a certificate of membership ' : 'anyone may join ',
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () =>
              void app.administer(`make ${network.private ? 'public' : 'private'}`, () =>
                app.admin.changeNetwork(nwid, { private: !network.private }),
              ),
          },
          network.private ? 'make public' : 'make private',
        ),
      ),
      h('dt', {}, 'IPv4 assignment'),
      h('dd', {}, network.v4AssignMode.zt ? 'zt (from the pools)' : 'none'),
      h('dt', {}, 'IP pools'),
      h('dd', { 'data-testid': 'pools' }, pools.length > 0 ? pools.map((pool) => `${pool.ipRangeStart}–${pool.ipRangeEnd}`).join(', ') : 'none'),
      h('dt', {}, 'certificate max delta'),
      h('dd', {}, String(network.comRevisionMaxDelta)),
    ),
    h(
      'form',
      {
        class: 'row',
        'data-testid': 'add-pool',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const cidr = poolInput.value.trim();
          if (cidr === '') return;
          void app.administer(`add pool ${cidr}`, () =>
            app.admin.changeNetwork(nwid, { ipAssignmentPools: [...pools, cidr], v4AssignMode: { zt: true } }),
          );
        },
      },
      poolInput,
      h('button', { type: 'submit' }, 'Add pool'),
      h('span', { class: 'hint' }, 'turns on ZeroTier-managed IPv4 assignment'),
    ),
    h(
      'div',
      { class: 'row', style: 'margin-top:10px' },
      h(
        'button',
        { type: 'button', class: 'danger', onclick: () => void app.deleteNetwork(nwid) },
        'Delete network',
      ),
    ),
  );
}

function resultClass(name: string): string {
  if (name === 'OK' || name === 'OK_BUT_NOT_NEWER') return 'code-ok';
  if (name === 'ACCESS_DENIED') return 'code-denied';
  if (name === 'not asked yet') return 'code-none';
  return 'code-error';
}

function addressesOf(node: SimulatedNode | undefined, nwid: string): string {
  const ips = node?.views.get(nwid)?.config?.staticIps ?? [];
  return ips.length > 0 ? ips.map(String).join(', ') : '—';
}

function memberRow(app: SimulationApp, nwid: string, member: Member): HTMLElement {
  const node = app.nodes.get(member.address);
  const view = node?.views.get(nwid);
  const toggle = (label: string, checked: boolean, testid: string, change: () => Promise<unknown>, what: string) =>
    h(
      'label',
      { class: 'check' },
      h('input', {
        type: 'checkbox',
        checked,
        'data-testid': testid,
        onchange: () => void app.administer(what, change),
      }),
      label,
    );
  const configCell: Child = view?.dictionaryText
    ? h('details', {}, h('summary', {}, 'netconf'), h('pre', { 'data-testid': `config-${member.address}` }, view.dictionaryText))
    : h('span', { class: 'code-none' }, '—');
  return h(
    'tr',
    { 'data-member': member.address, class: app.refreshing.has(member.address) ? 'refreshing' : undefined },
    h('td', {}, h('code', {}, member.address), h('div', { class: 'hint' }, node ? 'simulated node' : 'not simulated here')),
    h(
      'td',
      {},
      toggle(
        'authorized',
        member.authorized,
        `authorize-${member.address}`,
        () => app.admin.changeMember(nwid, member.address, { authorized: !member.authorized }),
        `${member.authorized ? 'de-authorize' : 'authorize'} ${member.address}`,
      ),
      h('br'),
      toggle(
        'active bridge',
        member.activeBridge,
        `bridge-${member.address}`,
        () => app.admin.changeMember(nwid, member.address, { activeBridge: !member.activeBridge }),
        `${member.activeBridge ? 'clear' : 'set'} active bridge ${member.address}`,
      ),
    ),
    h('td', { 'data-testid': `reported-${member.address}` }, member.clientReportedRevision === null ? '—' : String(member.clientReportedRevision)),
    h('td', { 'data-testid': `held-${member.address}` }, view?.config ? String(view.config.revision) : '—'),
    h('td', { 'data-testid': `addresses-${member.address}` }, addressesOf(node, nwid)),
    h(
      'td',
      {},
      h('span', { class: resultClass(view?.lastResult ?? 'not asked yet'), 'data-testid': `result-${member.address}` }, app.refreshing.has(member.address) ? 'refreshing…' : view?.lastResult ?? '—'),
    ),
    h('td', {}, configCell),
    h(
      'td',
      {},
      node
        ? h('button', { type: 'button', class: 'secondary', onclick: () => void app.requestNow(member.address, nwid) }, 'request')
        : null,
    ),
  );
}

function membersPanel(app: SimulationApp, network: Network, members: readonly Member[]): HTMLElement {
  const nwid = network.id;
  const busy = app.generating !== null;
  return h(
    'section',
    { class: 'panel', 'data-testid': 'members' },
    h('h2', {}, `Members (${members.length})`),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'button', 'data-testid': 'spawn-instant', disabled: busy, onclick: () => void app.spawnInstantMember(nwid) }, 'Add member (test identity)'),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'spawn-fresh', disabled: busy, onclick: () => void app.spawnFreshMember(nwid) }, 'Add member (fresh identity)'),
      h('span', { class: 'progress', 'data-testid': 'generate-progress' }, app.generating ?? ''),
    ),
    members.length === 0
      ? h('p', { class: 'empty' }, 'No member yet. A node becomes a member by asking for the config.')
      : h(
          'table',
          { 'data-testid': 'member-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'member'),
              h('th', {}, 'administration'),
              h('th', { title: 'revision the member last reported to the master' }, 'reported rev'),
              h('th', { title: 'revision of the config the node holds' }, 'held rev'),
              h('th', {}, 'addresses'),
              h('th', {}, 'last result'),
              h('th', {}, 'config'),
              h('th', {}, ''),
            ),
          ),
          h('tbody', {}, ...members.map((member) => memberRow(app, nwid, member))),
        ),
  );
}

function matrixPanel(app: SimulationApp, network: Network, members: readonly Member[]): HTMLElement {
  const nwid = network.id;
  const title = h('h2', {}, 'Who may talk to whom');
  if (!network.private) {
    return h(
      'section',
      { class: 'panel', 'data-testid': 'matrix' },
      title,
      h('p', { class: 'empty' }, 'Public network: no certificates of membership; every member may talk to every other.'),
    );
  }
  const holders = members
    .map((member) => ({ address: member.address, com: app.nodes.get(member.address)?.views.get(nwid)?.config?.com ?? null }))
    .filter((entry): entry is { address: string; com: NonNullable<typeof entry.com> } => entry.com !== null);
  if (holders.length === 0) {
    return h('section', { class: 'panel', 'data-testid': 'matrix' }, title, h('p', { class: 'empty' }, 'No member holds a certificate yet.'));
  }
  const header = h('tr', {}, h('th', {}, ''), ...holders.map((b) => h('th', {}, h('code', {}, b.address))));
  const rows = holders.map((a) =>
    h(
      'tr',
      {},
      h('th', {}, h('code', {}, a.address), ' ', h('span', { class: 'hint' }, `rev ${a.com.revision}`)),
      ...holders.map((b) => {
        if (a.address === b.address) return h('td', { class: 'self', 'data-pair': `${a.address}:${b.address}` }, '·');
        const agrees = a.com.agreesWith(b.com);
        return h('td', { class: agrees ? 'yes' : 'no', 'data-pair': `${a.address}:${b.address}` }, agrees ? '✓' : '✗');
      }),
    ),
  );
  return h(
    'section',
    { class: 'panel', 'data-testid': 'matrix' },
    title,
    h('table', { class: 'matrix' }, h('thead', {}, header), h('tbody', {}, ...rows)),
    h(
      'p',
      { class: 'hint' },
      'Each cell: does the row member’s certificate of membership agree with the column member’s (CertificateOfMembership.agreesWith)? ' +
        'Members exchange certificates and only talk to peers whose certificate agrees with their own. ' +
        'De-authorizing raises the revision by more than the max delta, so the removed member’s last certificate stops agreeing.',
    ),
  );
}
