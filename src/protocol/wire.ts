/**
 * Payloads of the netconf verbs (protocol.md §7). The host node owns packet headers, encryption,
 * compression and sending; these functions only encode and decode payload bytes.
 */
import { InvalidArgumentError, LimitExceededError, ParseError } from '../errors.js';
import { Dictionary } from './dictionary.js';
import { describeInput, parseNetworkId } from './ids.js';

export const Verb = {
  ERROR: 2,
  OK: 3,
  NETWORK_CONFIG_REQUEST: 11,
  NETWORK_CONFIG_REFRESH: 12,
} as const;
export type Verb = (typeof Verb)[keyof typeof Verb];

export const WireErrorCode = {
  OBJECT_NOT_FOUND: 3,
  UNSUPPORTED_OPERATION: 5,
  NETWORK_ACCESS_DENIED: 7,
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** The largest dictionary a 16-bit length can carry (metadata or netconf): a netconf must fit it. */
export const MAX_WIRE_DICTIONARY_BYTES = 65535;

export interface NetworkConfigRequest {
  nwid: bigint;
  metaData: Dictionary;
  /** 0n when the member has no config (or the field is absent). */
  haveRevision: bigint;
}

export interface NetworkConfigOk {
  nwid: bigint;
  netconf: Dictionary;
  /** The netconf exactly as received. */
  netconfBytes: Uint8Array;
}

export interface NetworkConfigError {
  code: number;
  nwid: bigint;
}

/** `BE64 nwid, BE16 metaLen, metadata, [BE64 haveRevision]`; haveRevision written when > 0. */
export function encodeNetworkConfigRequest(request: {
  nwid: bigint | string;
  metaData?: Dictionary | Uint8Array;
  haveRevision?: bigint;
}): Uint8Array {
  const nwid = parseNetworkId(request.nwid);
  const meta = dictionaryBytes(request.metaData ?? new Dictionary(), 'request metadata');
  const haveRevision = request.haveRevision ?? 0n;
  if (typeof haveRevision !== 'bigint' || haveRevision < 0n || haveRevision >= 1n << 64n) {
    throw new InvalidArgumentError(`haveRevision must be a uint64 bigint, got ${describeInput(haveRevision)}`);
  }
  const out = new Uint8Array(10 + meta.length + (haveRevision > 0n ? 8 : 0));
  const view = viewOf(out);
  view.setBigUint64(0, nwid, false);
  view.setUint16(8, meta.length, false);
  out.set(meta, 10);
  if (haveRevision > 0n) view.setBigUint64(10 + meta.length, haveRevision, false);
  return out;
}

/** Reads a request payload. Truncation, trailing bytes or bad metadata → ParseError. */
export function parseNetworkConfigRequest(bytes: Uint8Array): NetworkConfigRequest {
  requireBytes(bytes, 'NETWORK_CONFIG_REQUEST');
  if (bytes.length < 10) throw new ParseError(`NETWORK_CONFIG_REQUEST too short: ${bytes.length} bytes`);
  const view = viewOf(bytes);
  const nwid = view.getBigUint64(0, false);
  const metaLength = view.getUint16(8, false);
  const rest = bytes.length - 10 - metaLength;
  if (rest < 0) throw new ParseError(`NETWORK_CONFIG_REQUEST metadata truncated: ${metaLength} bytes announced`);
  if (rest !== 0 && rest !== 8) {
    throw new ParseError(`NETWORK_CONFIG_REQUEST has ${rest} unexpected bytes after the metadata`);
  }
  const metaData = Dictionary.parse(bytes.subarray(10, 10 + metaLength));
  const haveRevision = rest === 8 ? view.getBigUint64(10 + metaLength, false) : 0n;
  return { nwid, metaData, haveRevision };
}

/** `BE64 nwid, BE16 dictLen, netconf`. A netconf over 65,535 bytes → LimitExceededError. */
export function encodeNetworkConfigOk(nwid: bigint | string, netconf: Dictionary | Uint8Array): Uint8Array {
  const id = parseNetworkId(nwid);
  const dict = dictionaryBytes(netconf, 'netconf');
  const out = new Uint8Array(10 + dict.length);
  const view = viewOf(out);
  view.setBigUint64(0, id, false);
  view.setUint16(8, dict.length, false);
  out.set(dict, 10);
  return out;
}

/** Reads an OK payload for verb 11. Truncation, trailing bytes or a bad dictionary → ParseError. */
export function parseNetworkConfigOk(bytes: Uint8Array): NetworkConfigOk {
  requireBytes(bytes, 'OK(NETWORK_CONFIG_REQUEST)');
  if (bytes.length < 10) throw new ParseError(`OK(NETWORK_CONFIG_REQUEST) too short: ${bytes.length} bytes`);
  const view = viewOf(bytes);
  const nwid = view.getBigUint64(0, false);
  const length = view.getUint16(8, false);
  if (bytes.length !== 10 + length) {
    throw new ParseError(`OK(NETWORK_CONFIG_REQUEST) announces ${length} netconf bytes but carries ${bytes.length - 10}`);
  }
  const netconfBytes = bytes.slice(10);
  return { nwid, netconf: Dictionary.parse(netconfBytes), netconfBytes };
}

/** `code, BE64 nwid`. Only the §7 codes (3, 5, 7) are accepted. */
export function encodeNetworkConfigError(code: WireErrorCode, nwid: bigint | string): Uint8Array {
  if (!Object.values(WireErrorCode).includes(code)) {
    throw new InvalidArgumentError(`network config error code must be 3, 5 or 7, got ${describeInput(code)}`);
  }
  const out = new Uint8Array(9);
  out[0] = code;
  viewOf(out).setBigUint64(1, parseNetworkId(nwid), false);
  return out;
}

/** Reads an ERROR payload for verb 11. Any code byte is returned as is; wrong length → ParseError. */
export function parseNetworkConfigError(bytes: Uint8Array): NetworkConfigError {
  requireBytes(bytes, 'ERROR(NETWORK_CONFIG_REQUEST)');
  if (bytes.length !== 9) throw new ParseError(`ERROR(NETWORK_CONFIG_REQUEST) must be 9 bytes, got ${bytes.length}`);
  return { code: bytes[0]!, nwid: viewOf(bytes).getBigUint64(1, false) };
}

/** A list of BE64 network IDs. */
export function encodeNetworkConfigRefresh(nwids: readonly (bigint | string)[]): Uint8Array {
  if (!Array.isArray(nwids)) throw new InvalidArgumentError('a list of network IDs is needed');
  const out = new Uint8Array(nwids.length * 8);
  const view = viewOf(out);
  nwids.forEach((nwid, i) => view.setBigUint64(i * 8, parseNetworkId(nwid), false));
  return out;
}

/** Reads a refresh payload; a length that is not a multiple of 8 → ParseError. */
export function parseNetworkConfigRefresh(bytes: Uint8Array): bigint[] {
  requireBytes(bytes, 'NETWORK_CONFIG_REFRESH');
  if (bytes.length % 8 !== 0) throw new ParseError(`NETWORK_CONFIG_REFRESH length ${bytes.length} is not a multiple of 8`);
  const view = viewOf(bytes);
  const nwids: bigint[] = [];
  for (let at = 0; at < bytes.length; at += 8) nwids.push(view.getBigUint64(at, false));
  return nwids;
}

function dictionaryBytes(value: Dictionary | Uint8Array, what: string): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Dictionary) bytes = value.toBytes();
  else if (value instanceof Uint8Array) bytes = value;
  else throw new InvalidArgumentError(`${what} must be a Dictionary or Uint8Array, got ${describeInput(value)}`);
  if (bytes.length > MAX_WIRE_DICTIONARY_BYTES) {
    throw new LimitExceededError(`${what} is ${bytes.length} bytes; the limit is ${MAX_WIRE_DICTIONARY_BYTES}`);
  }
  return bytes;
}

function requireBytes(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new ParseError(`${what} payload must be a Uint8Array, got ${describeInput(bytes)}`);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
