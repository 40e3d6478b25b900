// A register-only f32x4 loop that tells what 100% is on this core under this runtime
// (bench/limits.mjs compiles it with asc at bench time, once with mul + add and once with
// relaxed-SIMD FMA, like assembly/gemm.ts's two builds; it is not part of the package). Twelve
// independent chains c = c·a + b hide the multiply and add latencies, and nothing touches memory,
// so the loop runs as fast as the runtime's code for the FP pipes allows. 96 FLOP per iteration.

@inline function madd(c: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(c, a, b);
  return f32x4.add(f32x4.mul(c, a), b);
}

// a and b are arguments so that the compiler cannot fold them into constants rebuilt every step.
export function peak(iterations: i32, scale: f32, shift: f32): f32 {
  const a = f32x4.splat(scale);
  const b = f32x4.splat(shift);
  let c0 = f32x4.splat(0.1); let c1 = f32x4.splat(0.2); let c2 = f32x4.splat(0.3);
  let c3 = f32x4.splat(0.4); let c4 = f32x4.splat(0.5); let c5 = f32x4.splat(0.6);
  let c6 = f32x4.splat(0.7); let c7 = f32x4.splat(0.8); let c8 = f32x4.splat(0.9);
  let c9 = f32x4.splat(1.1); let c10 = f32x4.splat(1.2); let c11 = f32x4.splat(1.3);
  for (let i = 0; i < iterations; i++) {
    c0 = madd(c0, a, b); c1 = madd(c1, a, b); c2 = madd(c2, a, b); c3 = madd(c3, a, b);
    c4 = madd(c4, a, b); c5 = madd(c5, a, b); c6 = madd(c6, a, b); c7 = madd(c7, a, b);
    c8 = madd(c8, a, b); c9 = madd(c9, a, b); c10 = madd(c10, a, b); c11 = madd(c11, a, b);
  }
  // The sum keeps every chain live, so the optimiser cannot drop one.
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(f32x4.add(f32x4.add(s, f32x4.add(c8, c9)), f32x4.add(c10, c11)), 0);
}
