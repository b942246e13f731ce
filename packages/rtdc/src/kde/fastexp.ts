/** Fast exp for z ≤ 0 (see `createKernels` in kernels.ts). */
import { kernels } from "./kernels.js";

/** The lowest argument `fastExp` accepts. */
export const FAST_EXP_MIN = kernels.FAST_EXP_MIN;
/** exp(z) for FAST_EXP_MIN ≤ z ≤ 0, within ~1 ulp. */
export const fastExp = kernels.fastExp;
