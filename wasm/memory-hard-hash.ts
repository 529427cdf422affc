// AssemblyScript source of the WebAssembly memory-hard hash (protocol.md §2, steps 2-5).
// Step 1 (SHA-512 of the public key) is done by the caller, who writes the 64-byte digest at
// digestPointer(), calls compute(), and reads the result back from the same place.
//
// The Salsa20/20 keystream does not depend on the hashed data, only on the key and nonce taken
// from the digest at the start, so blocks are computed four at a time with SIMD: lane k of every
// state vector belongs to block counter+k. The four blocks are then transposed back to bytes.
//
// Build: npm run build:wasm (scripts/build-wasm.mjs).

const MEMORY_BYTES: u32 = 2097152;
const MEMORY_WORDS: u32 = MEMORY_BYTES / 8;
const BLOCK_BYTES: u32 = 64;
const BATCH_BLOCKS: u32 = 4;

// Fixed regions of linear memory. Page 0 holds the small buffers; the 2 MiB buffer follows it.
const DIGEST: usize = 1024; // d, 64 bytes
const INITIAL_STATE: usize = 1088; // Salsa20 input words 0..15 (counter words unused), 64 bytes
const KEYSTREAM: usize = 1152; // four consecutive keystream blocks, 256 bytes
const MEM: usize = 65536; // the 2 MiB buffer

export function digestPointer(): usize {
  return DIGEST;
}

@inline
function rotl(v: v128, bits: i32): v128 {
  return v128.or(i32x4.shl(v, bits), i32x4.shr_u(v, 32 - bits));
}

@inline
function splatWord(index: i32): v128 {
  return i32x4.splat(load<u32>(INITIAL_STATE + (<usize>index << 2)));
}

// Stores the four 16-byte groups (words j..j+3 across lanes) as bytes of each block.
@inline
function storeTransposed(group: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  const at = KEYSTREAM + (group << 4);
  v128.store(at, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(at + BLOCK_BYTES, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(at + 2 * BLOCK_BYTES, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(at + 3 * BLOCK_BYTES, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

// Writes keystream blocks counter .. counter+3 to KEYSTREAM.
function keystreamBatch(counter: u64): void {
  const i0 = splatWord(0), i1 = splatWord(1), i2 = splatWord(2), i3 = splatWord(3);
  const i4 = splatWord(4), i5 = splatWord(5), i6 = splatWord(6), i7 = splatWord(7);
  const i10 = splatWord(10), i11 = splatWord(11), i12 = splatWord(12), i13 = splatWord(13);
  const i14 = splatWord(14), i15 = splatWord(15);
  let i8 = i32x4.splat(<i32>counter);
  i8 = i32x4.replace_lane(i8, 1, <i32>(counter + 1));
  i8 = i32x4.replace_lane(i8, 2, <i32>(counter + 2));
  i8 = i32x4.replace_lane(i8, 3, <i32>(counter + 3));
  let i9 = i32x4.splat(<i32>(counter >> 32));
  i9 = i32x4.replace_lane(i9, 1, <i32>((counter + 1) >> 32));
  i9 = i32x4.replace_lane(i9, 2, <i32>((counter + 2) >> 32));
  i9 = i32x4.replace_lane(i9, 3, <i32>((counter + 3) >> 32));

  let x0 = i0, x1 = i1, x2 = i2, x3 = i3, x4 = i4, x5 = i5, x6 = i6, x7 = i7;
  let x8 = i8, x9 = i9, x10 = i10, x11 = i11, x12 = i12, x13 = i13, x14 = i14, x15 = i15;
  for (let doubleRound = 0; doubleRound < 10; doubleRound++) {
    // Column round.
    x4 = v128.xor(x4, rotl(i32x4.add(x0, x12), 7));
    x9 = v128.xor(x9, rotl(i32x4.add(x5, x1), 7));
    x14 = v128.xor(x14, rotl(i32x4.add(x10, x6), 7));
    x3 = v128.xor(x3, rotl(i32x4.add(x15, x11), 7));
    x8 = v128.xor(x8, rotl(i32x4.add(x4, x0), 9));
    x13 = v128.xor(x13, rotl(i32x4.add(x9, x5), 9));
    x2 = v128.xor(x2, rotl(i32x4.add(x14, x10), 9));
    x7 = v128.xor(x7, rotl(i32x4.add(x3, x15), 9));
    x12 = v128.xor(x12, rotl(i32x4.add(x8, x4), 13));
    x1 = v128.xor(x1, rotl(i32x4.add(x13, x9), 13));
    x6 = v128.xor(x6, rotl(i32x4.add(x2, x14), 13));
    x11 = v128.xor(x11, rotl(i32x4.add(x7, x3), 13));
    x0 = v128.xor(x0, rotl(i32x4.add(x12, x8), 18));
    x5 = v128.xor(x5, rotl(i32x4.add(x1, x13), 18));
    x10 = v128.xor(x10, rotl(i32x4.add(x6, x2), 18));
    x15 = v128.xor(x15, rotl(i32x4.add(x11, x7), 18));
    // Row round.
    x1 = v128.xor(x1, rotl(i32x4.add(x0, x3), 7));
    x6 = v128.xor(x6, rotl(i32x4.add(x5, x4), 7));
    x11 = v128.xor(x11, rotl(i32x4.add(x10, x9), 7));
    x12 = v128.xor(x12, rotl(i32x4.add(x15, x14), 7));
    x2 = v128.xor(x2, rotl(i32x4.add(x1, x0), 9));
    x7 = v128.xor(x7, rotl(i32x4.add(x6, x5), 9));
    x8 = v128.xor(x8, rotl(i32x4.add(x11, x10), 9));
    x13 = v128.xor(x13, rotl(i32x4.add(x12, x15), 9));
    x3 = v128.xor(x3, rotl(i32x4.add(x2, x1), 13));
    x4 = v128.xor(x4, rotl(i32x4.add(x7, x6), 13));
    x9 = v128.xor(x9, rotl(i32x4.add(x8, x11), 13));
    x14 = v128.xor(x14, rotl(i32x4.add(x13, x12), 13));
    x0 = v128.xor(x0, rotl(i32x4.add(x3, x2), 18));
    x5 = v128.xor(x5, rotl(i32x4.add(x4, x7), 18));
    x10 = v128.xor(x10, rotl(i32x4.add(x9, x8), 18));
    x15 = v128.xor(x15, rotl(i32x4.add(x14, x13), 18));
  }
  storeTransposed(0, i32x4.add(x0, i0), i32x4.add(x1, i1), i32x4.add(x2, i2), i32x4.add(x3, i3));
  storeTransposed(1, i32x4.add(x4, i4), i32x4.add(x5, i5), i32x4.add(x6, i6), i32x4.add(x7, i7));
  storeTransposed(2, i32x4.add(x8, i8), i32x4.add(x9, i9), i32x4.add(x10, i10), i32x4.add(x11, i11));
  storeTransposed(3, i32x4.add(x12, i12), i32x4.add(x13, i13), i32x4.add(x14, i14), i32x4.add(x15, i15));
}

// Salsa20 input for key d[0..32] and nonce d[32..40] (little-endian words, like the cipher).
function setUpKeystream(): void {
  store<u32>(INITIAL_STATE, 0x61707865);
  store<u32>(INITIAL_STATE + 20, 0x3320646e);
  store<u32>(INITIAL_STATE + 40, 0x79622d32);
  store<u32>(INITIAL_STATE + 60, 0x6b206574);
  v128.store(INITIAL_STATE + 4, v128.load(DIGEST));
  v128.store(INITIAL_STATE + 44, v128.load(DIGEST + 16));
  store<u64>(INITIAL_STATE + 24, load<u64>(DIGEST + 32));
  store<u64>(INITIAL_STATE + 32, 0);
}

@inline
function xorBlock(destination: usize, source: usize, keystreamBlock: usize): void {
  v128.store(destination, v128.xor(v128.load(source), v128.load(keystreamBlock)));
  v128.store(destination + 16, v128.xor(v128.load(source + 16), v128.load(keystreamBlock + 16)));
  v128.store(destination + 32, v128.xor(v128.load(source + 32), v128.load(keystreamBlock + 32)));
  v128.store(destination + 48, v128.xor(v128.load(source + 48), v128.load(keystreamBlock + 48)));
}

// Step 3: mem[0] = block 0; mem[i] = mem[i-1] XOR block i.
function fillMemory(): void {
  const blocks = MEMORY_BYTES / BLOCK_BYTES;
  for (let block: u32 = 0; block < blocks; block += BATCH_BLOCKS) {
    keystreamBatch(<u64>block);
    for (let k: u32 = 0; k < BATCH_BLOCKS; k++) {
      const index = block + k;
      const destination = MEM + <usize>index * BLOCK_BYTES;
      const keystreamBlock = KEYSTREAM + <usize>k * BLOCK_BYTES;
      if (index == 0) {
        memory.copy(destination, keystreamBlock, BLOCK_BYTES);
      } else {
        xorBlock(destination, destination - BLOCK_BYTES, keystreamBlock);
      }
    }
  }
}

// Step 4: 131072 swaps between the buffer and d, each followed by d ^= next keystream block.
function swapWithDigest(): void {
  let counter: u64 = <u64>(MEMORY_BYTES / BLOCK_BYTES);
  for (let word: u32 = 0; word < MEMORY_WORDS; word += 2 * BATCH_BLOCKS) {
    keystreamBatch(counter);
    counter += BATCH_BLOCKS;
    for (let k: u32 = 0; k < BATCH_BLOCKS; k++) {
      const first = MEM + (<usize>(word + 2 * k) << 3);
      // BE64(word) mod 8 is the low bits of its last byte; mod 2^18 uses its last three bytes.
      const digestSlot = DIGEST + ((<usize>load<u8>(first + 7) & 7) << 3);
      const memorySlot = MEM + ((<usize>bswap<u32>(load<u32>(first + 12)) & (MEMORY_WORDS - 1)) << 3);
      const fromDigest = load<u64>(digestSlot);
      store<u64>(digestSlot, load<u64>(memorySlot));
      store<u64>(memorySlot, fromDigest);
      xorBlock(DIGEST, DIGEST, KEYSTREAM + <usize>k * BLOCK_BYTES);
    }
  }
}

export function compute(): void {
  setUpKeystream();
  fillMemory();
  swapWithDigest();
}
