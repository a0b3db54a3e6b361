// The worker life cycle table, checked without any process.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  IllegalTransitionError,
  type TransitionCause,
  TRANSITIONS,
  Worker,
  type WorkerState,
} from "../mod.ts";
import { canTransition, nextState } from "../src/worker_state.ts";

const STATES: WorkerState[] = ["none", "online", "listening", "disconnected", "dead"];
const CAUSES: TransitionCause[] = ["fork", "online", "listening", "disconnect", "exit"];

function bareWorker(): Worker {
  return new Worker({
    id: 1,
    process: {
      pid: 1,
      exitCode: null,
      signalCode: null,
      connected: true,
      kill: () => true,
      on: () => undefined,
    },
    control: {
      send: () => true,
      kill: () => {},
      disconnect: () => {},
      isConnected: () => true,
      isDead: () => false,
    },
  });
}

describe("worker state machine", () => {
  test("uses Node's state names and each row's states exist", () => {
    for (const row of TRANSITIONS) {
      for (const from of row.from) assert.ok(STATES.includes(from), from);
      assert.ok(row.to === "same" || STATES.includes(row.to), String(row.to));
    }
  });

  test("every (state, cause) pair has at most one row", () => {
    for (const state of STATES) {
      for (const cause of CAUSES) {
        const rows = TRANSITIONS.filter((row) => row.cause === cause && row.from.includes(state));
        assert.ok(rows.length <= 1, `${state} + ${cause}`);
      }
    }
  });

  test("the normal life: none -> online -> listening -> disconnected -> dead", () => {
    assert.deepEqual(nextState("none", "online"), { to: "online", emits: "online" });
    assert.deepEqual(nextState("online", "listening"), { to: "listening", emits: "listening" });
    assert.deepEqual(nextState("listening", "listening"), { to: "listening", emits: "listening" });
    assert.deepEqual(nextState("listening", "disconnect"), { to: "disconnected", emits: "disconnect" });
    assert.deepEqual(nextState("disconnected", "exit"), { to: "dead", emits: "exit" });
  });

  test("exit may come before disconnect; a dead worker stays dead", () => {
    assert.deepEqual(nextState("online", "exit"), { to: "dead", emits: "exit" });
    assert.deepEqual(nextState("dead", "disconnect"), { to: "dead", emits: "disconnect" });
  });

  test("illegal transitions throw IllegalTransitionError", () => {
    for (
      const [state, cause] of [["dead", "exit"], ["dead", "online"], ["none", "listening"], [
        "online",
        "online",
      ]]
    ) {
      assert.equal(canTransition(state as WorkerState, cause as TransitionCause), false);
      assert.throws(() => nextState(state as WorkerState, cause as TransitionCause), (error: unknown) => {
        assert.ok(error instanceof IllegalTransitionError);
        assert.equal(error.code, "ERR_CLUSTER_ILLEGAL_TRANSITION");
        return true;
      });
    }
  });

  test("a Worker emits each event from its transition", () => {
    const worker = bareWorker();
    const events: string[] = [];
    for (const name of ["online", "listening", "disconnect", "exit"]) {
      worker.on(name, (...args: unknown[]) => events.push(`${name}${JSON.stringify(args)}`));
    }
    worker.transition("online");
    worker.transition("listening", { port: 1 });
    worker.transition("exit", 0, null);
    worker.transition("disconnect");
    assert.deepEqual(events, ["online[]", 'listening[{"port":1}]', "exit[0,null]", "disconnect[]"]);
    assert.equal(worker.state, "dead");
    assert.throws(() => worker.transition("online"), IllegalTransitionError);
  });
});
