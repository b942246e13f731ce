// HDF5's fletcher32 checksum (filter 3): Fletcher-32 over big-endian 16-bit words, the odd last
// byte as the high byte of a final word. The filter appends it little-endian to each chunk.

const MOD = 65535;
/** Words per block: sums stay below 2^53 (exact in a double) for any block of this size. */
const BLOCK_WORDS = 1 << 16;

/**
 * The fletcher32 checksum of `bytes` as HDF5 computes it. Sums are reduced modulo 65535, and a
 * non-zero residue-0 sum is 0xffff, which is what HDF5's folding `(s & 0xffff) + (s >> 16)` gives.
 */
export function fletcher32(bytes: Uint8Array): number {
  const words = bytes.length >>> 1;
  let sum1 = 0;
  let sum2 = 0;
  let nonZero = false;
  const aligned = bytes.byteOffset % 4 === 0;
  let w = 0;
  if (aligned) {
    // Two 16-bit words per 32-bit load (little-endian host): swap bytes within each half.
    const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, words >>> 1);
    const n32 = u32.length;
    let i = 0;
    while (i < n32) {
      const end = Math.min(n32, i + (BLOCK_WORDS >>> 1));
      let s1 = sum1;
      let s2 = sum2;
      let any = 0;
      for (; i < end; i++) {
        const v = u32[i] as number;
        any |= v;
        const x = ((v & 0x00ff00ff) << 8) | ((v >>> 8) & 0x00ff00ff);
        s1 += x & 0xffff;
        s2 += s1;
        s1 += x >>> 16;
        s2 += s1;
      }
      if (any !== 0) nonZero = true;
      sum1 = s1 % MOD;
      sum2 = s2 % MOD;
    }
    w = n32 * 2;
  }
  // Remaining words (or all of them for an unaligned view).
  while (w < words) {
    const end = Math.min(words, w + BLOCK_WORDS);
    for (; w < end; w++) {
      const v = ((bytes[2 * w] as number) << 8) | (bytes[2 * w + 1] as number);
      if (v !== 0) nonZero = true;
      sum1 += v;
      sum2 += sum1;
    }
    sum1 %= MOD;
    sum2 %= MOD;
  }
  if (bytes.length % 2 === 1) {
    const v = (bytes[bytes.length - 1] as number) << 8;
    if (v !== 0) nonZero = true;
    sum1 = (sum1 + v) % MOD;
    sum2 = (sum2 + sum1) % MOD;
  }
  if (nonZero) {
    if (sum1 === 0) sum1 = MOD;
    if (sum2 === 0) sum2 = MOD;
  }
  return ((sum2 << 16) | sum1) >>> 0;
}

/**
 * Whether the last 4 bytes of `chunk` are the fletcher32 of the bytes before them. Like HDF5, it
 * also accepts the byte order that HDF5 before 1.6.3 wrote by mistake.
 */
export function fletcher32Matches(chunk: Uint8Array): boolean {
  if (chunk.length < 4) return false;
  const n = chunk.length - 4;
  const stored =
    ((chunk[n] as number) |
      ((chunk[n + 1] as number) << 8) |
      ((chunk[n + 2] as number) << 16) |
      ((chunk[n + 3] as number) << 24)) >>>
    0;
  const sum = fletcher32(chunk.subarray(0, n));
  if (stored === sum) return true;
  const swapped = (((sum & 0x00ff00ff) << 8) | ((sum >>> 8) & 0x00ff00ff)) >>> 0;
  return stored === swapped;
}
