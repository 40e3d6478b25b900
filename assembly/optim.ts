// Fused optimizer updates: one pass over a parameter updates the parameter and
// its state buffers in place, with PyTorch 1.13's per-element arithmetic in
// PyTorch's order (e.g. addcdiv is `p + (value * a) / b`), so float32 results
// track torch.optim's to an ulp or so.
// Layout: param, grad and every state buffer are n contiguous f32 from their
// pointers (byte offsets into this module's memory); absent buffers are 0.
// Alignment: 4 bytes; v128.load/store are unaligned-safe.
// Aliasing: each buffer is read and written at the same index only; grad is
// read-only; buffers must not overlap one another.
// Hyperparameters arrive as f32 (the JS double rounds once, as a Python float
// does when PyTorch passes it to a float32 kernel); that is why `1 - beta`
// and friends are arguments: PyTorch rounds them after subtracting in double.
// Step-dependent scalars (bias corrections, Adagrad's decayed lr) are computed
// by the caller
// (src/optim/*.ts via src/backend/wasm.ts); the scalar formula each kernel
// follows is written out in `loops` in src/backend/reference.ts.

// The body of each kernel is written once and run on 4 lanes for the bulk and
// on lane 0 of a splat for the tail, so the tail rounds exactly like the bulk.
@inline function ld(p: usize, vec: bool): v128 {
  return vec ? v128.load(p) : f32x4.splat(load<f32>(p));
}

@inline function st(p: usize, v: v128, vec: bool): void {
  if (vec) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

// The gradient as the update sees it: negated for maximize, plus L2 decay.
@inline function effectiveGrad(param: usize, grad: usize, o: usize, vec: bool, weightDecay: f32, maximize: bool): v128 {
  let g = ld(grad + o, vec);
  if (maximize) g = f32x4.neg(g);
  if (weightDecay != 0) g = f32x4.add(g, f32x4.mul(f32x4.splat(weightDecay), ld(param + o, vec)));
  return g;
}

// ---------------------------------------------------------------- SGD ---

@inline function sgdAt(
  o: usize, vec: bool, param: usize, grad: usize, buf: usize,
  lr: f32, momentum: f32, oneMinusDampening: f32, weightDecay: f32, nesterov: bool, maximize: bool, initBuffer: bool,
): void {
  let d = effectiveGrad(param, grad, o, vec, weightDecay, maximize);
  if (buf != 0) {
    let b = d;
    if (!initBuffer) {
      b = f32x4.add(f32x4.mul(ld(buf + o, vec), f32x4.splat(momentum)), f32x4.mul(f32x4.splat(oneMinusDampening), d));
    }
    st(buf + o, b, vec);
    d = nesterov ? f32x4.add(d, f32x4.mul(f32x4.splat(momentum), b)) : b;
  }
  st(param + o, f32x4.add(ld(param + o, vec), f32x4.mul(f32x4.splat(-lr), d)), vec);
}

// `buf` = 0 means no momentum; `initBuffer` sets the buffer to the gradient
// (PyTorch's first momentum step, which skips dampening).
export function sgdF32(
  param: usize, grad: usize, buf: usize, n: i32,
  lr: f32, momentum: f32, oneMinusDampening: f32, weightDecay: f32, nesterov: bool, maximize: bool, initBuffer: bool,
): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) sgdAt(<usize>i << 2, true, param, grad, buf, lr, momentum, oneMinusDampening, weightDecay, nesterov, maximize, initBuffer);
  for (; i < n; i++) sgdAt(<usize>i << 2, false, param, grad, buf, lr, momentum, oneMinusDampening, weightDecay, nesterov, maximize, initBuffer);
}

// -------------------------------------------------------- Adam, AdamW ---

@inline function adamAt(
  o: usize, vec: bool, param: usize, grad: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, weightDecay: f32, paramScale: f32, stepSize: f32, bias2Sqrt: f32, maximize: bool,
): void {
  const g = effectiveGrad(param, grad, o, vec, weightDecay, maximize);
  let p = ld(param + o, vec);
  if (paramScale != 1) p = f32x4.mul(p, f32x4.splat(paramScale));
  const m = f32x4.add(f32x4.mul(ld(expAvg + o, vec), f32x4.splat(beta1)), f32x4.mul(f32x4.splat(oneMinusBeta1), g));
  const v = f32x4.add(f32x4.mul(ld(expAvgSq + o, vec), f32x4.splat(beta2)), f32x4.mul(f32x4.mul(f32x4.splat(oneMinusBeta2), g), g));
  st(expAvg + o, m, vec);
  st(expAvgSq + o, v, vec);
  let vUsed = v;
  if (maxExpAvgSq != 0) {
    vUsed = f32x4.max(ld(maxExpAvgSq + o, vec), v);
    st(maxExpAvgSq + o, vUsed, vec);
  }
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(vUsed), f32x4.splat(bias2Sqrt)), f32x4.splat(eps));
  st(param + o, f32x4.add(p, f32x4.div(f32x4.mul(f32x4.splat(-stepSize), m), denom)), vec);
}

// Adam (weightDecay = L2 coefficient, paramScale = 1) and AdamW (weightDecay
// = 0, paramScale = 1 - lr * decay); `maxExpAvgSq` = 0 unless amsgrad.
// stepSize = lr / (1 - beta1^t), bias2Sqrt = sqrt(1 - beta2^t).
export function adamF32(
  param: usize, grad: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, weightDecay: f32, paramScale: f32, stepSize: f32, bias2Sqrt: f32, maximize: bool,
): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) adamAt(<usize>i << 2, true, param, grad, expAvg, expAvgSq, maxExpAvgSq, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, paramScale, stepSize, bias2Sqrt, maximize);
  for (; i < n; i++) adamAt(<usize>i << 2, false, param, grad, expAvg, expAvgSq, maxExpAvgSq, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, paramScale, stepSize, bias2Sqrt, maximize);
}

// ------------------------------------------------------------ RMSprop ---

@inline function rmspropAt(
  o: usize, vec: bool, param: usize, grad: usize, squareAvg: usize, gradAvg: usize, buf: usize,
  lr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, weightDecay: f32, momentum: f32, maximize: bool,
): void {
  const g = effectiveGrad(param, grad, o, vec, weightDecay, maximize);
  const sq = f32x4.add(f32x4.mul(ld(squareAvg + o, vec), f32x4.splat(alpha)), f32x4.mul(f32x4.mul(f32x4.splat(oneMinusAlpha), g), g));
  st(squareAvg + o, sq, vec);
  let avg: v128;
  if (gradAvg != 0) {
    const ga = f32x4.add(f32x4.mul(ld(gradAvg + o, vec), f32x4.splat(alpha)), f32x4.mul(f32x4.splat(oneMinusAlpha), g));
    st(gradAvg + o, ga, vec);
    avg = f32x4.sqrt(f32x4.sub(sq, f32x4.mul(ga, ga)));
  } else {
    avg = f32x4.sqrt(sq);
  }
  avg = f32x4.add(avg, f32x4.splat(eps));
  const p = ld(param + o, vec);
  if (buf != 0) {
    const b = f32x4.add(f32x4.mul(ld(buf + o, vec), f32x4.splat(momentum)), f32x4.div(g, avg));
    st(buf + o, b, vec);
    st(param + o, f32x4.add(p, f32x4.mul(f32x4.splat(-lr), b)), vec);
  } else {
    st(param + o, f32x4.add(p, f32x4.div(f32x4.mul(f32x4.splat(-lr), g), avg)), vec);
  }
}

// `gradAvg` != 0 means centered; `buf` != 0 means momentum > 0.
export function rmspropF32(
  param: usize, grad: usize, squareAvg: usize, gradAvg: usize, buf: usize, n: i32,
  lr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, weightDecay: f32, momentum: f32, maximize: bool,
): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) rmspropAt(<usize>i << 2, true, param, grad, squareAvg, gradAvg, buf, lr, alpha, oneMinusAlpha, eps, weightDecay, momentum, maximize);
  for (; i < n; i++) rmspropAt(<usize>i << 2, false, param, grad, squareAvg, gradAvg, buf, lr, alpha, oneMinusAlpha, eps, weightDecay, momentum, maximize);
}

// ------------------------------------------------------------ Adagrad ---

@inline function adagradAt(
  o: usize, vec: bool, param: usize, grad: usize, sum: usize,
  clr: f32, eps: f32, weightDecay: f32, maximize: bool,
): void {
  const g = effectiveGrad(param, grad, o, vec, weightDecay, maximize);
  const s = f32x4.add(ld(sum + o, vec), f32x4.mul(g, g));
  st(sum + o, s, vec);
  const std = f32x4.add(f32x4.sqrt(s), f32x4.splat(eps));
  st(param + o, f32x4.add(ld(param + o, vec), f32x4.div(f32x4.mul(f32x4.splat(-clr), g), std)), vec);
}

// clr = lr / (1 + (t - 1) * lrDecay).
export function adagradF32(
  param: usize, grad: usize, sum: usize, n: i32,
  clr: f32, eps: f32, weightDecay: f32, maximize: bool,
): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) adagradAt(<usize>i << 2, true, param, grad, sum, clr, eps, weightDecay, maximize);
  for (; i < n; i++) adagradAt(<usize>i << 2, false, param, grad, sum, clr, eps, weightDecay, maximize);
}
