/**
 * Retiring an HTTP server without dropping a request: for a short while before it stops listening, every response
 * says `Connection: close`, so clients open their next request elsewhere instead of sending it on a connection
 * the stop is about to close (which a client sees as a reset, not a response). Bun.serve and Deno.serve close
 * their idle keep-alive connections as they stop; a node:http server that no longer listens closes each one as its
 * response ends; and a listener of the worker's own (SO_REUSEPORT) resets the connections queued on it. Used by
 * the native servers' hooks (Bun.serve, Deno.serve) and by net_hooks.ts for every HTTP server.
 *
 * @module
 */

/** The drain ends once no request came for this long... */
const QUIET_MS = 100;
/** ...or after this long in any case. */
const LONGEST_MS = 1000;

/** The draining state of one server. */
export class Drain {
  #draining = false;
  #lastRequest = 0;

  /** Notes a request (its time, while draining); true when its response must say `Connection: close`. */
  request(): boolean {
    if (this.#draining) this.#lastRequest = performance.now();
    return this.#draining;
  }

  /**
   * Starts draining; resolves once no request came for a tenth of a second (counted from now at the earliest, so
   * that a request on its way still gets its `Connection: close`), or at the latest after a second.
   */
  start(): Promise<void> {
    this.#draining = true;
    const started = performance.now();
    this.#lastRequest = started;
    return new Promise((resolve) => {
      const check = () => {
        const now = performance.now();
        if (now - this.#lastRequest >= QUIET_MS || now - started >= LONGEST_MS) return resolve();
        setTimeout(check, QUIET_MS / 4);
      };
      check();
    });
  }

  /**
   * Wraps a fetch-style handler (`(request, ...) => Response | Promise<Response>`) so that its responses say
   * `Connection: close` while draining. Anything that is not a Response (Bun's websocket upgrade) passes as is.
   */
  wrap<H>(handler: H): H {
    if (typeof handler !== "function") return handler;
    const noteRequest = (): boolean => this.request();
    // Two named parameters: Deno reads the handler's arity and passes no request to a handler that takes none.
    return function (this: unknown, request: unknown, info: unknown, ...rest: unknown[]): unknown {
      const closing = noteRequest();
      const result = (handler as (...a: unknown[]) => unknown).call(this, request, info, ...rest);
      if (!closing) return result;
      return result instanceof Promise ? result.then(closingResponse) : closingResponse(result);
    } as H;
  }
}

/** `response` with `Connection: close` (a copy when its headers are immutable). */
function closingResponse(response: unknown): unknown {
  if (!(response instanceof Response)) return response;
  try {
    response.headers.set("connection", "close");
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set("connection", "close");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
