/**
 * The plain datagram framing `serve --udp` speaks (the node-embed example's): UNENCRYPTED and
 * unauthenticated, for simulations and test harnesses only. A real ZeroTier node wraps payloads
 * in encrypted, authenticated packets; none of that exists here.
 *
 *   offset 0        1 byte   verb: 11 NETWORK_CONFIG_REQUEST, 3 OK, 2 ERROR, 12 NETWORK_CONFIG_REFRESH
 *   offset 1        2 bytes  big-endian length L of the sender's identity string (UTF-8, public part)
 *   offset 3        L bytes  the sender's identity string
 *   offset 3 + L    rest     the verb's payload exactly as docs/protocol.md §7 defines it
 */
import { ParseError } from '../errors.js';
import { Verb } from '../protocol/wire.js';

const HEADER_BYTES = 3;
const MAX_IDENTITY_BYTES = 1024;
const KNOWN_VERBS: ReadonlySet<number> = new Set(Object.values(Verb));

export interface PlainFrame {
  verb: Verb;
  senderIdentity: string;
  payload: Uint8Array;
}

export function encodePlainFrame(frame: PlainFrame): Uint8Array {
  const identity = new TextEncoder().encode(frame.senderIdentity);
  if (identity.length > MAX_IDENTITY_BYTES) throw new ParseError(`identity string too long for a frame (${identity.length} bytes)`);
  const out = new Uint8Array(HEADER_BYTES + identity.length + frame.payload.length);
  out[0] = frame.verb;
  new DataView(out.buffer).setUint16(1, identity.length);
  out.set(identity, HEADER_BYTES);
  out.set(frame.payload, HEADER_BYTES + identity.length);
  return out;
}

/** Throws ParseError on a datagram that is not a well-formed frame of a known verb. */
export function decodePlainFrame(datagram: Uint8Array): PlainFrame {
  if (datagram.length < HEADER_BYTES) throw new ParseError(`frame too short (${datagram.length} bytes)`);
  const verb = datagram[0]!;
  if (!KNOWN_VERBS.has(verb)) throw new ParseError(`unknown frame verb ${verb}`);
  const length = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength).getUint16(1);
  if (length > MAX_IDENTITY_BYTES || HEADER_BYTES + length > datagram.length) {
    throw new ParseError(`frame identity length ${length} does not fit the datagram`);
  }
  let senderIdentity: string;
  try {
    senderIdentity = new TextDecoder('utf-8', { fatal: true }).decode(datagram.subarray(HEADER_BYTES, HEADER_BYTES + length));
  } catch {
    throw new ParseError('frame identity is not valid UTF-8');
  }
  return { verb: verb as Verb, senderIdentity, payload: datagram.slice(HEADER_BYTES + length) };
}
