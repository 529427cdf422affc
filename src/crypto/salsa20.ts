/**
 * Salsa20 keystream (protocol.md §2 uses Salsa20/20; Salsa20/12 is here for its test vector):
 * 32-byte key, 8-byte nonce, 64-bit block counter starting at 0.
 *
 * Built for the memory-hard hash, which consumes one long keystream in 64-byte blocks: the state is
 * a Uint32Array, blocks are written into caller-owned word arrays, and nothing is allocated per block.
 * Words written by `nextBlockInto` / `xorNextBlockInto` are in memory byte order: a Uint8Array over
 * the same buffer sees the keystream bytes, on little- and big-endian hosts alike.
 */
import { InvalidArgumentError } from '../errors.js';

export type SalsaRounds = 20 | 12;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// "expand 32-byte k" as four little-endian words.
const SIGMA0 = 0x61707865;
const SIGMA1 = 0x3320646e;
const SIGMA2 = 0x79622d32;
const SIGMA3 = 0x6b206574;

export class Salsa20Keystream {
  private readonly state = new Uint32Array(16);
  private readonly block = new Uint32Array(16);
  private readonly doubleRounds: number;

  constructor(key: Uint8Array, nonce: Uint8Array, rounds: SalsaRounds = 20) {
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new InvalidArgumentError('Salsa20 key must be 32 bytes');
    }
    if (!(nonce instanceof Uint8Array) || nonce.length !== 8) {
      throw new InvalidArgumentError('Salsa20 nonce must be 8 bytes');
    }
    if (rounds !== 20 && rounds !== 12) {
      throw new InvalidArgumentError('Salsa20 rounds must be 20 or 12');
    }
    this.doubleRounds = rounds / 2;
    const s = this.state;
    s[0] = SIGMA0;
    s[1] = readLE32(key, 0);
    s[2] = readLE32(key, 4);
    s[3] = readLE32(key, 8);
    s[4] = readLE32(key, 12);
    s[5] = SIGMA1;
    s[6] = readLE32(nonce, 0);
    s[7] = readLE32(nonce, 4);
    s[8] = 0; // block counter, low word
    s[9] = 0; // block counter, high word
    s[10] = SIGMA2;
    s[11] = readLE32(key, 16);
    s[12] = readLE32(key, 20);
    s[13] = readLE32(key, 24);
    s[14] = readLE32(key, 28);
    s[15] = SIGMA3;
  }

  /** Writes the next 64-byte block into `out[offset .. offset+16)`. */
  nextBlockInto(out: Uint32Array, offset = 0): void {
    this.generate();
    const b = this.block;
    for (let i = 0; i < 16; i++) out[offset + i] = b[i]!;
  }

  /** XORs the next 64-byte block into `target[offset .. offset+16)`. */
  xorNextBlockInto(target: Uint32Array, offset = 0): void {
    this.generate();
    const b = this.block;
    for (let i = 0; i < 16; i++) target[offset + i] = target[offset + i]! ^ b[i]!;
  }

  /** The next `length` keystream bytes (a multiple of 64), as a fresh array. */
  nextBytes(length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0 || length % 64 !== 0) {
      throw new InvalidArgumentError('keystream length must be a non-negative multiple of 64');
    }
    const words = new Uint32Array(length / 4);
    for (let offset = 0; offset < words.length; offset += 16) this.nextBlockInto(words, offset);
    return new Uint8Array(words.buffer);
  }

  /** Computes the block for the current counter into `this.block` and advances the counter. */
  private generate(): void {
    const s = this.state;
    const j0 = s[0]!, j1 = s[1]!, j2 = s[2]!, j3 = s[3]!, j4 = s[4]!, j5 = s[5]!, j6 = s[6]!, j7 = s[7]!;
    const j8 = s[8]!, j9 = s[9]!, j10 = s[10]!, j11 = s[11]!, j12 = s[12]!, j13 = s[13]!, j14 = s[14]!, j15 = s[15]!;
    let x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
    let x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15;
    let t: number;
    for (let r = this.doubleRounds; r > 0; r--) {
      // Column round.
      t = (x0 + x12) | 0; x4 ^= (t << 7) | (t >>> 25);
      t = (x4 + x0) | 0; x8 ^= (t << 9) | (t >>> 23);
      t = (x8 + x4) | 0; x12 ^= (t << 13) | (t >>> 19);
      t = (x12 + x8) | 0; x0 ^= (t << 18) | (t >>> 14);
      t = (x5 + x1) | 0; x9 ^= (t << 7) | (t >>> 25);
      t = (x9 + x5) | 0; x13 ^= (t << 9) | (t >>> 23);
      t = (x13 + x9) | 0; x1 ^= (t << 13) | (t >>> 19);
      t = (x1 + x13) | 0; x5 ^= (t << 18) | (t >>> 14);
      t = (x10 + x6) | 0; x14 ^= (t << 7) | (t >>> 25);
      t = (x14 + x10) | 0; x2 ^= (t << 9) | (t >>> 23);
      t = (x2 + x14) | 0; x6 ^= (t << 13) | (t >>> 19);
      t = (x6 + x2) | 0; x10 ^= (t << 18) | (t >>> 14);
      t = (x15 + x11) | 0; x3 ^= (t << 7) | (t >>> 25);
      t = (x3 + x15) | 0; x7 ^= (t << 9) | (t >>> 23);
      t = (x7 + x3) | 0; x11 ^= (t << 13) | (t >>> 19);
      t = (x11 + x7) | 0; x15 ^= (t << 18) | (t >>> 14);
      // Row round.
      t = (x0 + x3) | 0; x1 ^= (t << 7) | (t >>> 25);
      t = (x1 + x0) | 0; x2 ^= (t << 9) | (t >>> 23);
      t = (x2 + x1) | 0; x3 ^= (t << 13) | (t >>> 19);
      t = (x3 + x2) | 0; x0 ^= (t << 18) | (t >>> 14);
      t = (x5 + x4) | 0; x6 ^= (t << 7) | (t >>> 25);
      t = (x6 + x5) | 0; x7 ^= (t << 9) | (t >>> 23);
      t = (x7 + x6) | 0; x4 ^= (t << 13) | (t >>> 19);
      t = (x4 + x7) | 0; x5 ^= (t << 18) | (t >>> 14);
      t = (x10 + x9) | 0; x11 ^= (t << 7) | (t >>> 25);
      t = (x11 + x10) | 0; x8 ^= (t << 9) | (t >>> 23);
      t = (x8 + x11) | 0; x9 ^= (t << 13) | (t >>> 19);
      t = (x9 + x8) | 0; x10 ^= (t << 18) | (t >>> 14);
      t = (x15 + x14) | 0; x12 ^= (t << 7) | (t >>> 25);
      t = (x12 + x15) | 0; x13 ^= (t << 9) | (t >>> 23);
      t = (x13 + x12) | 0; x14 ^= (t << 13) | (t >>> 19);
      t = (x14 + x13) | 0; x15 ^= (t << 18) | (t >>> 14);
    }
    const b = this.block;
    b[0] = x0 + j0; b[1] = x1 + j1; b[2] = x2 + j2; b[3] = x3 + j3;
    b[4] = x4 + j4; b[5] = x5 + j5; b[6] = x6 + j6; b[7] = x7 + j7;
    b[8] = x8 + j8; b[9] = x9 + j9; b[10] = x10 + j10; b[11] = x11 + j11;
    b[12] = x12 + j12; b[13] = x13 + j13; b[14] = x14 + j14; b[15] = x15 + j15;
    if (!HOST_IS_LITTLE_ENDIAN) {
      for (let i = 0; i < 16; i++) b[i] = byteSwap32(b[i]!);
    }
    const low = (j8 + 1) >>> 0;
    s[8] = low;
    if (low === 0) s[9] = (j9 + 1) >>> 0;
  }
}

function readLE32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

function byteSwap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
