/**
 * exp(z) for z ≤ 0 with ~1 ulp accuracy, faster than Math.exp in tight loops: z = (64m + j)·ln2/64
 * + r with |r| ≤ ln2/128, exp(z) = 2^m · 2^(j/64) · p(r), p a degree-5 Taylor polynomial (its
 * truncation error is below 4e-17 relative). Valid for −700 ≤ z ≤ 0; below that use Math.exp.
 */

const TABLE_J = new Float64Array(64);
for (let j = 0; j < 64; j++) TABLE_J[j] = 2 ** (j / 64);
/** 2^m for m in [−1023, 0] at index m + 1023. */
const TABLE_M = new Float64Array(1024);
for (let m = 0; m < 1024; m++) TABLE_M[m] = 2 ** (m - 1023);

const INV_STEP = 64 / Math.LN2;
// ln2/64 split as in fdlibm (high part with 32 significant bits), so k·STEP_HI is exact.
const STEP_HI = 0.6931471803691238 / 64;
const STEP_LO = 1.9082149292705877e-10 / 64;
const ROUND_MAGIC = 6755399441055744; // 1.5·2^52: adding it rounds to an integer

/** The lowest argument `fastExp` accepts. */
export const FAST_EXP_MIN = -700;

/** exp(z) for FAST_EXP_MIN ≤ z ≤ 0. */
export function fastExp(z: number): number {
  const kd = z * INV_STEP + ROUND_MAGIC - ROUND_MAGIC;
  const k = kd | 0;
  const r = z - kd * STEP_HI - kd * STEP_LO;
  const p =
    1 +
    r *
      (1 +
        r *
          (0.5 +
            r * (0.16666666666666666 + r * (0.041666666666666664 + r * 0.008333333333333333))));
  return p * TABLE_J[k & 63]! * TABLE_M[(k >> 6) + 1023]!;
}
