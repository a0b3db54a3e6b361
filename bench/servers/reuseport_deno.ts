// Hand-written SO_REUSEPORT cluster on Deno: the parent starts 2 children with Deno.Command, each runs
// Deno.serve({ reusePort: true }) (needs --unstable-net) on the same port. The parent prints "READY <port>"
// once every child listens. Env: BENCH_PORT, BENCH_WORKERS (2), BENCH_REPLY ("hello" | "id").
const port = Number(Deno.env.get("BENCH_PORT") ?? 8000);
const workers = Number(Deno.env.get("BENCH_WORKERS") ?? 2);
const id = Deno.env.get("BENCH_CHILD_ID");

if (id !== undefined) {
  const body = Deno.env.get("BENCH_REPLY") === "id" ? id : "hello world";
  Deno.serve(
    { port, hostname: "127.0.0.1", reusePort: true, onListen: () => console.log("LISTENING") },
    () => new Response(body),
  );
} else {
  let listening = 0;
  for (let i = 1; i <= workers; i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-net", import.meta.filename!],
      env: { BENCH_CHILD_ID: String(i) },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    (async () => {
      for await (const line of child.stdout.pipeThrough(new TextDecoderStream()).values()) {
        if (line.includes("LISTENING") && ++listening === workers) console.log(`READY ${port}`);
      }
    })();
  }
}
