// The primary of the clustered benchmark servers, unicluster's and the runtime's own node:cluster alike: forks
// `workers` workers, prints "READY <port>" once all of them listen (with the sharing mode each reports, where the
// cluster reports one: unicluster does), and reports a worker that exits.

/** Forks the workers of `cluster` and announces when they all listen on `port`. */
export function startPrimary(cluster, port, workers) {
  let listening = 0;
  const modes = [];
  cluster.on("listening", (_worker, address) => {
    if (address?.mode !== undefined) modes.push(String(address.mode));
    if (++listening === workers) {
      console.log(`READY ${port}${modes.length > 0 ? ` mode=${modes.join(",")}` : ""}`);
    }
  });
  cluster.on(
    "exit",
    (worker, code, signal) => console.error(`worker ${worker.id} exited (${signal ?? code})`),
  );
  for (let i = 0; i < workers; i++) cluster.fork();
}
