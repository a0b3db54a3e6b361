// A type test of the events of Cluster and Worker: this file is only type-checked, never run.
//
// It is checked twice: here, against the sources (`deno check tests/`, `tsc --noEmit -p tsconfig.json`), and by
// tests/npm_package.test.ts against the packed npm package (its import rewritten to "unicluster"), with
// TypeScript 5 and TypeScript 7 and the tsconfig.json of `tsc --init`. Every `@ts-expect-error` line marks a wrong
// listener: with the directives in place the file compiles; npm_package.test.ts also removes them and checks that
// the compiler then fails on exactly those lines, with the text after `expects:` in its message.

import cluster, { type ClusterSettings, type Worker } from "../../mod.ts";

/** True when A and B are the same type (`any` is the same only as `any`). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

/** Compiles only when A and B are the same type: `same<typeof x, number>(true)`. */
function same<A, B>(_proof: Same<A, B>): void {}

/** Listeners that are right: their parameters get the event's types. */
export function rightListeners(): void {
  cluster.on("fork", (worker) => same<typeof worker, Worker>(true));
  cluster.on("online", (worker) => same<typeof worker, Worker>(true));
  cluster.on("listening", (worker, address) => {
    same<typeof worker, Worker>(true);
    same<typeof address.port, number>(true);
    same<typeof address.address, string | null>(true);
    same<typeof address.addressType, number | "udp4" | "udp6">(true);
  });
  cluster.on("message", (worker, message: { cmd: string }, handle) => {
    same<typeof worker, Worker>(true);
    same<typeof message.cmd, string>(true);
    // deno-lint-ignore no-explicit-any -- the handle is typed as in Node's types: any
    same<typeof handle, any>(true);
  });
  cluster.on("disconnect", (worker) => same<typeof worker, Worker>(true));
  cluster.on("exit", (worker, code, signal) => {
    same<typeof worker, Worker>(true);
    same<typeof code, number | null>(true);
    same<typeof signal, string | null>(true);
  });
  cluster.on("setup", (settings) => same<typeof settings, ClusterSettings>(true));
  cluster.on("death", (worker) => same<typeof worker, Worker>(true));
  cluster.on("error", (error, worker) => {
    same<typeof error, Error>(true);
    same<typeof worker, Worker | undefined>(true);
  });
  // Node's README example, and the other methods, chained: each returns the cluster.
  const chained = cluster
    .on(
      "exit",
      (worker, code, signal) => console.log(`worker ${worker.process.pid} died (${signal ?? code})`),
    )
    .once("online", (worker) => worker.send("hello"))
    .addListener("fork", (worker) => worker.id)
    .prependListener("disconnect", (worker) => worker.isDead())
    .prependOnceListener("listening", (_worker, address) => address.port)
    .off("fork", (worker) => worker.id)
    .removeListener("death", (worker) => worker.id);
  same<typeof chained, typeof cluster>(true);
  // Events that are not the cluster's keep EventEmitter's untyped listener.
  cluster.on("custom", (a: number, b: string) => [a, b]);
  cluster.once(Symbol("custom"), () => {});
  const name: string = "fork";
  cluster.on(name, (anything: unknown) => anything);
  same<ReturnType<typeof cluster.emit>, boolean>(true);
  // EventEmitter's own methods: Node's types are there (the declarations reference them), not an `any` base.
  same<ReturnType<typeof cluster.listenerCount>, number>(true);
  same<typeof cluster.setMaxListeners, (n: number) => typeof cluster>(true);
  cluster.emit("setup", {});

  const worker = cluster.fork();
  worker.on("online", () => {});
  worker.on("listening", (address) => same<typeof address.port, number>(true));
  worker.on("message", (message: { cmd: string }) => same<typeof message.cmd, string>(true));
  worker.on("disconnect", () => {});
  worker.on("exit", (code, signal) => {
    same<typeof code, number | null>(true);
    same<typeof signal, string | null>(true);
  });
  worker.on("error", (error) => same<typeof error, Error>(true));
  const again = worker.once("exit", () => {}).off("online", () => {}).prependListener(
    "custom",
    (x: boolean) => x,
  );
  same<typeof again, Worker>(true);
}

/** Listeners that are wrong: each is refused. */
export function wrongListeners(worker: Worker): void {
  // @ts-expect-error -- expects: Type 'number | null' is not assignable to type 'string'
  cluster.on("exit", (_worker: Worker, _code: string) => {});
  // @ts-expect-error -- expects: Type 'ListeningAddress' is not assignable to type 'number'
  worker.on("listening", (_address: number) => {});
  // @ts-expect-error -- expects: Type 'string | null' is not assignable to type 'string'
  worker.once("exit", (_code: number | null, _signal: string) => {});
  // @ts-expect-error -- expects: Type 'Worker' is not assignable to type 'string'
  cluster.prependListener("online", (_id: string) => {});
  // @ts-expect-error -- expects: Target signature provides too few arguments
  cluster.addListener("fork", (_worker: Worker, _extra: number) => {});
}
