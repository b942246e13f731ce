import h5wasm from "h5wasm/node";

await h5wasm.ready;
for (const p of process.argv.slice(2)) {
  const f = new h5wasm.File(p, "r");
  const ev = f.get("events");
  const out = [];
  for (const k of ev.keys()) {
    const d = ev.get(k);
    if (d.shape && d.shape.length === 1) out.push(`${k}:${d.dtype}`);
  }
  console.log(p.split("/").slice(-2).join("/"), out.join(" "));
  f.close();
}
