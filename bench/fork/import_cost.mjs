// Time to import a module (BENCH_IMPORT, relative to this file; default unicluster's mod.ts) in a fresh process:
// what every unicluster worker pays before it can report `online`. Prints "RESULT {json}".
import process from "node:process";

const spec = process.env.BENCH_IMPORT ?? "../../mod.ts";
const t0 = performance.now();
await import(spec);
console.log(`RESULT ${JSON.stringify({ module: spec, ms: performance.now() - t0 })}`);
process.exit(0);
