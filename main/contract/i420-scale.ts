/**
 * Scaling an I420 picture (contract/video.ts's layout) to another size without distortion: the
 * page scales camera frames Chrome leaves unscaled, and the engine scales camera frames down to
 * what the other side's max-fs takes (RFC 7741 §6.1, RFC 6184 §8.1). Pure: no Node, no DOM.
 */

/** The part of a `srcW` × `srcH` picture that fills `w` × `h` without distortion (centred crop). */
export function coverCrop(srcW: number, srcH: number, w: number, h: number): { sx: number; sy: number; sw: number; sh: number } {
  const scale = Math.max(w / srcW, h / srcH);
  const sw = w / scale;
  const sh = h / scale;
  return { sx: (srcW - sw) / 2, sy: (srcH - sh) / 2, sw, sh };
}

/**
 * An I420 picture `sw` × `sh` scaled into `dw` × `dh`, centre-cropped to the new aspect (nothing
 * stretched): bilinear, plane by plane.
 */
export function scaleI420(src: Uint8Array, sw: number, sh: number, dst: Uint8Array, dw: number, dh: number): void {
  const crop = coverCrop(sw, sh, dw, dh);
  const planes = [
    { s: 0, w: sw, h: sh, d: 0, dw, dh, k: 1 },
    { s: sw * sh, w: sw / 2, h: sh / 2, d: dw * dh, dw: dw / 2, dh: dh / 2, k: 2 },
    { s: sw * sh + (sw * sh) / 4, w: sw / 2, h: sh / 2, d: dw * dh + (dw * dh) / 4, dw: dw / 2, dh: dh / 2, k: 2 },
  ];
  for (const p of planes) {
    const x0 = crop.sx / p.k;
    const y0 = crop.sy / p.k;
    const fx = crop.sw / p.k / p.dw;
    const fy = crop.sh / p.k / p.dh;
    for (let y = 0; y < p.dh; y++) {
      const sy = Math.min(p.h - 1, Math.max(0, y0 + (y + 0.5) * fy - 0.5));
      const r0 = Math.floor(sy);
      const r1 = Math.min(p.h - 1, r0 + 1);
      const wy = sy - r0;
      const row0 = p.s + r0 * p.w;
      const row1 = p.s + r1 * p.w;
      const out = p.d + y * p.dw;
      for (let x = 0; x < p.dw; x++) {
        const sx = Math.min(p.w - 1, Math.max(0, x0 + (x + 0.5) * fx - 0.5));
        const c0 = Math.floor(sx);
        const c1 = Math.min(p.w - 1, c0 + 1);
        const wx = sx - c0;
        const top = src[row0 + c0] + (src[row0 + c1] - src[row0 + c0]) * wx;
        const bottom = src[row1 + c0] + (src[row1 + c1] - src[row1 + c0]) * wx;
        dst[out + x] = Math.round(top + (bottom - top) * wy);
      }
    }
  }
}
