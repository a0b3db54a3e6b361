// A fetch-handler module, the convention of `deno serve` and Bun: the command line serves it on every worker.
// Run: node cli.ts -w 2 --port 8000 examples/fetch_app.ts | deno run -A cli.ts ... | bun cli.ts ...
import process from "node:process";

export default {
  fetch(request: Request): Response {
    return new Response(`hello from pid ${process.pid}: ${new URL(request.url).pathname}\n`);
  },
};
