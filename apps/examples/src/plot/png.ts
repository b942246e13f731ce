const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads the size of a PNG from its IHDR chunk; throws a `TypeError` when the bytes are not a
 * PNG (wrong signature or no IHDR first).
 */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new TypeError("not a PNG: bad signature");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkType = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || chunkType !== "IHDR") {
    throw new TypeError("not a PNG: IHDR is not the first chunk");
  }
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Counts the marks Vega drew into one mark group of an SVG it rendered, e.g. the points of a
 * scatter (`"symbol"`) or the bars of a bar chart (`"rect"`). Used to check that what is in the
 * picture is what was computed.
 */
export function countSvgMarks(svg: string, markType: "symbol" | "rect" | "text"): number {
  const open = new RegExp(`<g class="mark-${markType} role-mark[^"]*"[^>]*>`, "g");
  let total = 0;
  for (const match of svg.matchAll(open)) {
    const start = (match.index ?? 0) + match[0].length;
    const end = svg.indexOf("</g>", start);
    const body = svg.slice(start, end === -1 ? undefined : end);
    const element = markType === "text" ? /<text\b/g : /<path\b/g;
    total += body.match(element)?.length ?? 0;
  }
  return total;
}
