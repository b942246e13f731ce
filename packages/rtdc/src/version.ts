/** A loose PEP 440 comparison, enough for the software versions in RT-DC files. */
export function compareVersions(a: string, b: string): number {
  const ka = versionKey(a);
  const kb = versionKey(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const x = ka[i] ?? 0;
    const y = kb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function versionKey(v: string): number[] {
  const m = /^v?(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc|dev|post)[.-]?(\d*))?/i.exec(v.trim());
  if (!m) return [0];
  const release = (m[1] ?? "0").split(".").map(Number);
  while (release.length < 4) release.push(0);
  const tag = (m[2] ?? "").toLowerCase();
  const n = Number(m[3] || 0);
  // Pre-releases sort before the release, post-releases after it.
  const rank =
    tag === "dev"
      ? -4
      : tag === "a"
        ? -3
        : tag === "b"
          ? -2
          : tag === "rc"
            ? -1
            : tag === "post"
              ? 1
              : 0;
  return [...release, rank, n];
}
