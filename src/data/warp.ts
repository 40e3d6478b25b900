/**
 * Pixel-level helpers of the image transforms, on flat [N, C, H, W] arrays: torchvision's inverse
 * affine matrix and grid sampling (the geometry of RandomRotation and RandomAffine), and its
 * colour adjustments (ColorJitter). Augmentation runs on data, before any graph, so these work
 * on plain arrays rather than tensor ops.
 */

/** Pixel resampling of the geometric transforms (torchvision's InterpolationMode values). */
export type Interpolation = 'nearest' | 'bilinear';

/** The parameters of one affine map, as torchvision.transforms.functional.affine takes them. */
export interface AffineParams {
  /** Clockwise rotation in degrees. */
  angle: number;
  /** Translation [dx, dy] in pixels. */
  translate: readonly [number, number];
  scale: number;
  /** Shear angles [x, y] in degrees. */
  shear: readonly [number, number];
  /** Centre [x, y] in pixels, or null for the image centre. */
  center: readonly [number, number] | null;
}

/**
 * torchvision's _get_inverse_affine_matrix: maps output pixel coordinates (relative to the image
 * centre) to input coordinates, for M = T · C · R · S · Sh · C⁻¹.
 */
export function inverseAffineMatrix(p: AffineParams, width: number, height: number): number[] {
  const [cx, cy] = p.center ? [p.center[0] - width * 0.5, p.center[1] - height * 0.5] : [0, 0];
  const [tx, ty] = p.translate;
  const rot = (p.angle * Math.PI) / 180;
  const sx = (p.shear[0] * Math.PI) / 180;
  const sy = (p.shear[1] * Math.PI) / 180;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = -(a * Math.tan(sx) + Math.sin(rot));
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = Math.cos(rot) - c * Math.tan(sx);
  const m = [d / p.scale, -b / p.scale, 0, -c / p.scale, a / p.scale, 0];
  m[2] += cx - m[0] * (cx + tx) - m[1] * (cy + ty);
  m[5] += cy - m[3] * (cx + tx) - m[4] * (cy + ty);
  return m;
}

/** Round half to even, as grid_sample's nearest mode (std::nearbyint). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Warps image `img` of the flat batch in place into `out` with the inverse affine `m`, as
 * torchvision's tensor affine: pixel centres relative to the image centre, grid_sample with
 * align_corners=False and zero padding, then `fill` blended in by the sampled validity mask.
 */
export function warpAffine(
  src: ArrayLike<number>,
  out: { [i: number]: number },
  img: number,
  [c, h, w]: readonly [number, number, number],
  m: readonly number[],
  interpolation: Interpolation,
  fill: readonly number[],
): void {
  for (let i = 0; i < h; i++) {
    const y = i - h * 0.5 + 0.5;
    for (let j = 0; j < w; j++) {
      const x = j - w * 0.5 + 0.5;
      // Input pixel coordinates (grid_sample's unnormalised index with align_corners=False).
      const ix = m[0] * x + m[1] * y + m[2] + w * 0.5 - 0.5;
      const iy = m[3] * x + m[4] * y + m[5] + h * 0.5 - 0.5;
      if (interpolation === 'nearest') {
        const sx = roundHalfEven(ix);
        const sy = roundHalfEven(iy);
        const inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
        for (let k = 0; k < c; k++) {
          const plane = (img * c + k) * h * w;
          out[plane + i * w + j] = inside ? src[plane + sy * w + sx] : fill[fill.length === 1 ? 0 : k];
        }
        continue;
      }
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      const fx = ix - x0;
      const fy = iy - y0;
      const corners: [number, number, number][] = [
        [y0, x0, (1 - fx) * (1 - fy)],
        [y0, x0 + 1, fx * (1 - fy)],
        [y0 + 1, x0, (1 - fx) * fy],
        [y0 + 1, x0 + 1, fx * fy],
      ];
      let mask = 0;
      for (const [yy, xx, wt] of corners) if (yy >= 0 && yy < h && xx >= 0 && xx < w) mask += wt;
      for (let k = 0; k < c; k++) {
        const plane = (img * c + k) * h * w;
        let v = 0;
        for (const [yy, xx, wt] of corners) if (yy >= 0 && yy < h && xx >= 0 && xx < w) v += wt * src[plane + yy * w + xx];
        out[plane + i * w + j] = v * mask + (1 - mask) * fill[fill.length === 1 ? 0 : k];
      }
    }
  }
}

// ---------------------------------------------------------------- colour (torchvision's adjust_*)

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Luma (ITU-R 601-2, torchvision's rgb_to_grayscale) of pixel p of an RGB image at `base`. */
function gray(px: { [i: number]: number }, base: number, hw: number, p: number): number {
  return 0.2989 * px[base + p] + 0.587 * px[base + hw + p] + 0.114 * px[base + 2 * hw + p];
}

/** adjust_brightness: x · factor, clamped to [0, 1]. */
export function adjustBrightness(px: { [i: number]: number }, base: number, n: number, factor: number): void {
  for (let i = 0; i < n; i++) px[base + i] = clamp01(px[base + i] * factor);
}

/** adjust_contrast: blend with the mean grey level of the image. */
export function adjustContrast(px: { [i: number]: number }, base: number, c: number, hw: number, factor: number): void {
  let mean = 0;
  for (let p = 0; p < hw; p++) mean += c === 3 ? gray(px, base, hw, p) : px[base + p];
  mean /= hw;
  for (let i = 0; i < c * hw; i++) px[base + i] = clamp01(factor * px[base + i] + (1 - factor) * mean);
}

/** adjust_saturation: blend with the grey image (a no-op on one channel, as torchvision). */
export function adjustSaturation(px: { [i: number]: number }, base: number, c: number, hw: number, factor: number): void {
  if (c !== 3) return;
  for (let p = 0; p < hw; p++) {
    const g = gray(px, base, hw, p);
    for (let k = 0; k < 3; k++) px[base + k * hw + p] = clamp01(factor * px[base + k * hw + p] + (1 - factor) * g);
  }
}

/** adjust_hue: shifts the hue (RGB → HSV, h + factor mod 1, → RGB); a no-op on one channel, as torchvision. */
export function adjustHue(px: { [i: number]: number }, base: number, c: number, hw: number, factor: number): void {
  if (c !== 3) return;
  for (let p = 0; p < hw; p++) {
    const r = px[base + p];
    const g = px[base + hw + p];
    const b = px[base + 2 * hw + p];
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const cr = maxc - minc;
    const s = cr / (maxc === 0 ? 1 : maxc);
    const crDiv = cr === 0 ? 1 : cr;
    const rc = (maxc - r) / crDiv;
    const gc = (maxc - g) / crDiv;
    const bc = (maxc - b) / crDiv;
    const hr = maxc === r ? bc - gc : 0;
    const hg = maxc === g && maxc !== r ? 2 + rc - bc : 0;
    const hb = maxc !== g && maxc !== r ? 4 + gc - rc : 0;
    let h = (((hr + hg + hb) / 6 + 1) % 1) + factor;
    h = ((h % 1) + 1) % 1;
    const v = maxc;
    const i = Math.floor(h * 6) % 6;
    const f = h * 6 - Math.floor(h * 6);
    const q = clamp01(v * (1 - s * f));
    const t = clamp01(v * (1 - s * (1 - f)));
    const pp = clamp01(v * (1 - s));
    const [ro, go, bo] = [
      [v, t, pp],
      [q, v, pp],
      [pp, v, t],
      [pp, q, v],
      [t, pp, v],
      [v, pp, q],
    ][i];
    px[base + p] = ro;
    px[base + hw + p] = go;
    px[base + 2 * hw + p] = bo;
  }
}
