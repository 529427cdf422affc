/** The page's request and event log (newest first, bounded). */
import { byId, h } from './dom.js';

export type LogKind = 'ok' | 'denied' | 'error' | 'event' | 'quiet';
const MAX_ENTRIES = 400;

export function log(kind: LogKind, text: string): void {
  const list = byId<HTMLOListElement>('log');
  const time = new Date().toLocaleTimeString([], { hour12: false });
  list.prepend(h('li', { class: kind, 'data-kind': kind }, h('span', { class: 'time' }, time), ' ', text));
  while (list.childElementCount > MAX_ENTRIES) list.lastElementChild?.remove();
}

export function kindOfResult(codeName: string): LogKind {
  if (codeName === 'OK') return 'ok';
  if (codeName === 'OK_BUT_NOT_NEWER') return 'quiet';
  if (codeName === 'ACCESS_DENIED') return 'denied';
  return 'error';
}
