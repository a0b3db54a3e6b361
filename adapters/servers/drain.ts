/**
 * Retiring an HTTP server that cannot stop listening without dropping its idle keep-alive connections (Bun.serve,
 * Deno.serve, and node:http on Bun and Deno, which are built on them): for a short while before it stops, every
 * response says `Connection: close`, so clients open their next request elsewhere instead of sending it on a
 * connection the stop is about to close (which a client sees as a reset, not a response).
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

  /** Whether the server is draining. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Notes a request; true when its response must say `Connection: close`. */
  request(): boolean {
    this.#lastRequest = performance.now();
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
