/**
 * The datagram framing of the node-embed example.
 *
 * A real ZeroTier node wraps these payloads in packets with headers, encryption (Salsa20/12 with a
 * key agreed from the two identities), authentication (Poly1305) and optional compression. None of
 * that exists here: this example is a simulation over loopback UDP that shows how a host embeds the
 * master behind the payload codec (protocol.md §7). Frames are PLAIN: anyone who can send to the
 * socket can claim any identity's address (it still has to present that identity's public key, and
 * the master checks that the address matches the key and belongs to the first identity that used it).
 *
 * Frame layout (one UDP datagram = one frame):
 *
 *   offset 0        1 byte   verb: 11 NETWORK_CONFIG_REQUEST, 3 OK (to a config request),
 *                            2 ERROR (to a config request), 12 NETWORK_CONFIG_REFRESH
 *   offset 1        2 bytes  big-endian length L of the sender's identity string (UTF-8)
 *   offset 3        L bytes  the sender's identity string, public part only ("address:0:publickey")
 *   offset 3 + L    rest     the verb's payload exactly as protocol.md §7 defines it
 *
 * Members send their identity so the master can look them up; the master sends its own so members
 * can verify the signed netconf (a real node would fetch it by address from a root server).
 */
import { ParseError } from '../../src/errors.js';
import { Verb } from '../../src/protocol/wire.js';

export { Verb };

const KNOWN_VERBS: ReadonlySet<number> = new Set(Object.values(Verb));
const HEADER_BYTES = 3;
const MAX_IDENTITY_CHARS = 1024;

export interface Frame {
  verb: Verb;
  /** The sender's identity string (public part). */
  senderIdentity: string;
  payload: Uint8Array;
}

export function encodeFrame(frame: Frame): Uint8Array {
  const identityBytes = new TextEncoder().encode(frame.senderIdentity);
  if (identityBytes.length > MAX_IDENTITY_CHARS) {
    throw new ParseError(`identity string too long for a frame (${identityBytes.length} bytes)`);
  }
  const out = new Uint8Array(HEADER_BYTES + identityBytes.length + frame.payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, frame.verb);
  view.setUint16(1, identityBytes.length);
  out.set(identityBytes, HEADER_BYTES);
  out.set(frame.payload, HEADER_BYTES + identityBytes.length);
  return out;
}

/** Throws ParseError on a datagram that is not a well-formed frame of a known verb. */
export function decodeFrame(datagram: Uint8Array): Frame {
  if (datagram.length < HEADER_BYTES) throw new ParseError(`frame too short (${datagram.length} bytes)`);
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const verb = view.getUint8(0);
  if (!KNOWN_VERBS.has(verb)) throw new ParseError(`unknown frame verb ${verb}`);
  const identityLength = view.getUint16(1);
  if (identityLength > MAX_IDENTITY_CHARS || HEADER_BYTES + identityLength > datagram.length) {
    throw new ParseError(`frame identity length ${identityLength} does not fit the datagram`);
  }
  const identityBytes = datagram.subarray(HEADER_BYTES, HEADER_BYTES + identityLength);
  let senderIdentity: string;
  try {
    senderIdentity = new TextDecoder('utf-8', { fatal: true }).decode(identityBytes);
  } catch {
    throw new ParseError('frame identity is not valid UTF-8');
  }
  return {
    verb: verb as Verb,
    senderIdentity,
    payload: datagram.slice(HEADER_BYTES + identityLength),
  };
}
