// Scaling through unicluster: N node:http workers on one port, start-up time, the primary's CPU and memory,
// the workers' memory and a broadcast round trip (bench/scaling/_scale.mjs). Prints "RESULT {json}", then serves
// until killed. Env: BENCH_PORT, BENCH_WORKERS, BENCH_ROUNDS, and BENCH_MODULE: the unicluster module to load
// (default the sources, ../../mod.ts; the scaling part also passes the npm build's mod.js). This file is
// JavaScript so that, on Node, only unicluster's own files are type-stripped (a .ts entry would load the type
// stripper even for the npm build).
import process from "node:process";
import { scale } from "./_scale.mjs";

const { default: cluster } = await import(process.env.BENCH_MODULE ?? "../../mod.ts");

scale(cluster);
