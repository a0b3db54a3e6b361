// The IPC benchmark, shared by every mechanism: `runSuite` drives it from the parent, `echoLoop` answers in the
// child. Messages are small JSON-able objects; the 1 MiB message is a string field.
//   ping-pong:  `roundTrips` sequential round trips of { t: "p", i }
//   one way:    `oneWay` messages { t: "s", i } sent back to back, then { t: "e" }; the child answers with its count
//   1 MiB:      `big` times a 1 MiB string sent and acknowledged with its length (sequential; median ms)

/** Parent side. `send(message)` sends to the child; `listen(handler)` sets the one message handler. */
export async function runSuite(send, listen, options = {}) {
  const roundTrips = options.roundTrips ?? 20_000;
  const oneWay = options.oneWay ?? 100_000;
  const big = options.big ?? 10;
  const warm = options.warm ?? 2_000;

  const pingPong = (n) =>
    new Promise((resolve) => {
      let i = 0;
      const t0 = performance.now();
      listen((m) => {
        if (m?.t !== "p") return;
        if (++i === n) resolve(performance.now() - t0);
        else send({ t: "p", i });
      });
      send({ t: "p", i });
    });

  const pipelined = (n) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      listen((m) => {
        if (m?.t !== "done") return;
        const ms = performance.now() - t0;
        if (m.n !== n) reject(new Error(`child counted ${m.n} of ${n} messages`));
        else resolve(ms);
      });
      for (let i = 0; i < n; i++) send({ t: "s", i });
      send({ t: "e" });
    });

  const blob = "x".repeat(1 << 20);
  const bigOne = () =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      listen((m) => {
        if (m?.t !== "bk") return;
        const ms = performance.now() - t0;
        if (m.n !== blob.length) reject(new Error(`child got ${m.n} bytes`));
        else resolve(ms);
      });
      send({ t: "b", d: blob });
    });

  await pingPong(warm);
  await pipelined(warm * 5);
  await bigOne();
  const pingMs = await pingPong(roundTrips);
  const oneWayMs = await pipelined(oneWay);
  const bigMs = [];
  for (let i = 0; i < big; i++) bigMs.push(await bigOne());
  bigMs.sort((a, b) => a - b);
  return {
    roundTripsPerSec: roundTrips / (pingMs / 1000),
    oneWayPerSec: oneWay / (oneWayMs / 1000),
    bigMsMedian: bigMs[Math.floor(bigMs.length / 2)],
    bigMs,
  };
}

/** Child side: answers the parent's messages through `send`. Returns the message handler. */
export function echoHandler(send) {
  let count = 0;
  return (m) => {
    switch (m?.t) {
      case "p":
        send({ t: "p", i: m.i });
        break;
      case "s":
        count++;
        break;
      case "e":
        send({ t: "done", n: count });
        count = 0;
        break;
      case "b":
        send({ t: "bk", n: m.d.length });
        break;
    }
  };
}
