// The contour of a mask as dclab computes it: marching squares on the transposed mask at level
// 0.9999 (high values vertex-connected), segments joined into paths in raster order, the
// longest path rounded to pixels, consecutive duplicates removed.

const LEVEL = 0.9999;

function fraction(from: number, to: number): number {
  return to === from ? 0 : (LEVEL - from) / (to - from);
}

/** Round half to even (numpy's round). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface Path {
  pts: [number, number][];
  id: number;
}

/**
 * Contour of one mask (row-major `height × width`, non-zero = inside), as `{ x, y }` pixel
 * coordinates; empty arrays if the mask has no contour.
 */
export function contourFromMask(
  mask: ArrayLike<number>,
  height: number,
  width: number,
): { x: Int32Array; y: Int32Array } {
  // Bounding box of the set pixels: squares outside it have no segments.
  let x0 = width;
  let x1 = -1;
  let y0 = height;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return { x: new Int32Array(0), y: new Int32Array(0) };
  // Transposed array A[r][c] = mask[c][r]: r runs over x, c over y.
  const A = (r: number, c: number) => (mask[c * width + r] ? 1 : 0);
  const segments: [[number, number], [number, number]][] = [];
  for (let r0 = Math.max(0, x0 - 1); r0 <= Math.min(width - 2, x1); r0++) {
    for (let c0 = Math.max(0, y0 - 1); c0 <= Math.min(height - 2, y1); c0++) {
      const r1 = r0 + 1;
      const c1 = c0 + 1;
      const ul = A(r0, c0);
      const ur = A(r0, c1);
      const ll = A(r1, c0);
      const lr = A(r1, c1);
      const sq =
        (ul > LEVEL ? 1 : 0) + (ur > LEVEL ? 2 : 0) + (ll > LEVEL ? 4 : 0) + (lr > LEVEL ? 8 : 0);
      if (sq === 0 || sq === 15) continue;
      const top: [number, number] = [r0, c0 + fraction(ul, ur)];
      const bottom: [number, number] = [r1, c0 + fraction(ll, lr)];
      const left: [number, number] = [r0 + fraction(ul, ll), c0];
      const right: [number, number] = [r0 + fraction(ur, lr), c1];
      // Segments run so that lower values are on their left; saddles joined for high values.
      switch (sq) {
        case 1:
          segments.push([top, left]);
          break;
        case 2:
          segments.push([right, top]);
          break;
        case 3:
          segments.push([right, left]);
          break;
        case 4:
          segments.push([left, bottom]);
          break;
        case 5:
          segments.push([top, bottom]);
          break;
        case 6:
          segments.push([left, top], [right, bottom]);
          break;
        case 7:
          segments.push([right, bottom]);
          break;
        case 8:
          segments.push([bottom, right]);
          break;
        case 9:
          segments.push([top, right], [bottom, left]);
          break;
        case 10:
          segments.push([bottom, top]);
          break;
        case 11:
          segments.push([bottom, left]);
          break;
        case 12:
          segments.push([left, right]);
          break;
        case 13:
          segments.push([top, right]);
          break;
        case 14:
          segments.push([left, top]);
          break;
      }
    }
  }
  const paths = assemble(segments);
  if (paths.length === 0) return { x: new Int32Array(0), y: new Int32Array(0) };
  // The longest path; among equally long ones the last (stable sort, then [-1]).
  let best = paths[0] as [number, number][];
  for (const p of paths) if (p.length >= best.length) best = p;
  const rounded = best.map(([a, b]) => [roundHalfEven(a), roundHalfEven(b)] as [number, number]);
  // Drop consecutive duplicates of the circular list (and the closing point).
  const ext = [...rounded, rounded[0] as [number, number]];
  const keep: [number, number][] = [ext[0] as [number, number]];
  for (let i = 1; i < ext.length; i++) {
    const p = ext[i] as [number, number];
    const q = ext[i - 1] as [number, number];
    if (p[0] !== q[0] || p[1] !== q[1]) keep.push(p);
  }
  keep.pop();
  return { x: Int32Array.from(keep, (p) => p[0]), y: Int32Array.from(keep, (p) => p[1]) };
}

/** Join segments end to start into paths, keeping the order of first appearance. */
function assemble(segments: [[number, number], [number, number]][]): [number, number][][] {
  const key = (p: [number, number]) => `${p[0]},${p[1]}`;
  const starts = new Map<string, Path>();
  const ends = new Map<string, Path>();
  const paths = new Map<number, Path>();
  let next = 0;
  for (const [from, to] of segments) {
    const kf = key(from);
    const kt = key(to);
    if (kf === kt) continue;
    const tail = starts.get(kt);
    if (tail) starts.delete(kt);
    const head = ends.get(kf);
    if (head) ends.delete(kf);
    if (tail && head) {
      if (tail === head) {
        head.pts.push(to); // closed
      } else if (tail.id > head.id) {
        head.pts.push(...tail.pts);
        ends.delete(key(tail.pts.at(-1) as [number, number]));
        paths.delete(tail.id);
        starts.set(key(head.pts[0] as [number, number]), head);
        ends.set(key(head.pts.at(-1) as [number, number]), head);
      } else {
        tail.pts.unshift(...head.pts);
        starts.delete(key(head.pts[0] as [number, number]));
        paths.delete(head.id);
        starts.set(key(tail.pts[0] as [number, number]), tail);
        ends.set(key(tail.pts.at(-1) as [number, number]), tail);
      }
    } else if (!tail && !head) {
      const p: Path = { pts: [from, to], id: next++ };
      paths.set(p.id, p);
      starts.set(kf, p);
      ends.set(kt, p);
    } else if (tail) {
      tail.pts.unshift(from);
      starts.set(kf, tail);
    } else if (head) {
      head.pts.push(to);
      ends.set(kt, head);
    }
  }
  return [...paths.values()].sort((a, b) => a.id - b.id).map((p) => p.pts);
}
