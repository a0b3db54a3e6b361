// A fetch-handler module (a default export with `fetch(request)`, the convention of `deno serve`, Bun and
// unicluster's command line) that answers with the id of the worker serving it: its pid and a random id of this
// module instance (`deno serve --parallel` runs its workers as threads of one process, so a pid alone cannot tell
// them apart). Served by the command line (from the sources and from the npm build) and by `deno serve --parallel`
// in the startup part. JavaScript, so that Node's type stripper is not loaded for it: under the npm build's
// cli.js, the workers then load no TypeScript at all.
import process from "node:process";

const id = `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;

export default {
  fetch(_request) {
    return new Response(id);
  },
};
