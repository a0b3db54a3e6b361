/**
 * The primary's settings: `cluster.settings` as Node's `setupPrimary()` composes them, and what one fork makes of
 * them with the adapter's command for the worker's runtime.
 *
 * @module
 */

import type { HostInfo, RuntimeName, WorkerCommand } from "../contract/host.ts";
import { invalidArgValue } from "../errors.ts";
import {
  type ClusterSettings,
  nodeDefaults,
  type ResolvedSettings,
  resolveSettings,
  validateSettings,
} from "../settings.ts";

/** `cluster.settings`, from the first `setupPrimary()` (or `fork()`) on. */
export class PrimarySettings {
  #settings: ClusterSettings = {};
  /** Whether `execArgv` was given (a worker of another runtime gets the primary's own flags only then). */
  #explicitExecArgv = false;

  /** The settings as they stand: empty until the first `setupPrimary()`. */
  get current(): ClusterSettings {
    return this.#settings;
  }

  /** `setupPrimary(given)`, as Node's: Node's defaults (read now), then the earlier calls, then `given`. */
  setup(given: unknown, host: HostInfo): ClusterSettings {
    const checked = validateSettings(given);
    if (Object.hasOwn(checked, "execArgv")) this.#explicitExecArgv = true;
    return this.#settings = { ...nodeDefaults(host), ...this.#settings, ...checked };
  }

  /** What a fork uses now; throws for settings no worker can be started with. */
  forFork(host: HostInfo, command: (runtime: RuntimeName) => WorkerCommand): ResolvedSettings {
    const settings = resolveSettings(this.#settings, host, command, this.#explicitExecArgv);
    if (settings.serialization === "advanced" && settings.runtime !== host.runtime) {
      throw invalidArgValue(
        "settings.serialization",
        "advanced",
        `works only between processes of the same runtime (primary: ${host.runtime}, workers: ${settings.runtime}); use 'json'`,
      );
    }
    return settings;
  }
}
