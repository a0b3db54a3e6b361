// Hand-written SO_REUSEPORT cluster on Bun: the parent starts 2 children with Bun.spawn, each runs
// Bun.serve({ reusePort: true }) on the same port. The parent prints "READY <port>" once every child listens.
// Env: BENCH_PORT, BENCH_WORKERS (2), BENCH_REPLY ("hello" | "id").
declare const Bun: {
  env: Record<string, string | undefined>;
  serve(o: { port: number; hostname: string; reusePort: boolean; fetch(): Response }): unknown;
  spawn(o: {
    cmd: string[];
    env: Record<string, string | undefined>;
    stdio: string[];
    ipc(message: unknown): void;
  }): unknown;
};

const port = Number(Bun.env.BENCH_PORT ?? 8000);
const workers = Number(Bun.env.BENCH_WORKERS ?? 2);
const id = Bun.env.BENCH_CHILD_ID;

if (id !== undefined) {
  const body = Bun.env.BENCH_REPLY === "id" ? id : "hello world";
  Bun.serve({ port, hostname: "127.0.0.1", reusePort: true, fetch: () => new Response(body) });
  process.send!("listening");
} else {
  let listening = 0;
  for (let i = 1; i <= workers; i++) {
    Bun.spawn({
      cmd: [process.execPath, import.meta.filename!],
      env: { ...Bun.env, BENCH_CHILD_ID: String(i) },
      stdio: ["ignore", "inherit", "inherit"],
      ipc: (message) => {
        if (message === "listening" && ++listening === workers) console.log(`READY ${port}`);
      },
    });
  }
}
