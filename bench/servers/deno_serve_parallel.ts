// For `deno serve --parallel` (DENO_JOBS=2): Deno's own multi-worker server (one process, one isolate per
// thread, SO_REUSEPORT). With BENCH_REPLY=id each isolate answers with a random id of its own.
const body = Deno.env.get("BENCH_REPLY") === "id" ? crypto.randomUUID().slice(0, 8) : "hello world";

export default {
  fetch: () => new Response(body),
} satisfies Deno.ServeDefaultExport;
