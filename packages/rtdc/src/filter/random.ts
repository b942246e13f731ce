/**
 * numpy's legacy `RandomState` (MT19937) — just enough to reproduce dclab's "limit events"
 * downsampling exactly: `RandomState(47)` then `choice(n, size, replace=False)`, which is
 * `permutation(n)[:size]` (a Fisher–Yates shuffle drawing with masked rejection sampling).
 */

const N = 624;
const M = 397;

/** The Mersenne Twister MT19937 with numpy's integer seeding (init_genrand). */
export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
        let v = mt[(k + M) % N]! ^ (y >>> 1);
        if (y & 1) v ^= 0x9908b0df;
        mt[k] = v >>> 0;
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max] (numpy's `random_interval`, max < 2^32). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do {
      value = (this.nextUint32() & mask) >>> 0;
    } while (value > max);
    return value;
  }

  /** numpy's legacy `permutation(n)`. */
  permutation(n: number): Uint32Array {
    const arr = new Uint32Array(n);
    for (let i = 0; i < n; i++) arr[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = t;
    }
    return arr;
  }
}

/**
 * Indices (into 0..n−1) kept by dclab's `downsample_rand(samples)`: all when samples is 0 or
 * ≥ n, else the first `samples` entries of `RandomState(47).permutation(n)`.
 */
export function downsampleRandomKeep(n: number, samples: number): Uint8Array {
  const keep = new Uint8Array(n);
  if (samples <= 0 || samples >= n) return keep.fill(1);
  const perm = new MT19937(47).permutation(n);
  for (let i = 0; i < samples; i++) keep[perm[i]!] = 1;
  return keep;
}
