import { connect } from "node:net";
import test from "ava";
import { Command } from "../../core/index.js";
import { residentBytes, startChildServer } from "../helpers/child-server.js";
import { RawClient } from "../helpers/raw-client.js";

const ONE_GIB_HEADER = Buffer.from([0x40, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 1, 0]);
const JUNK = Buffer.alloc(4 * 1024 * 1024, 0x5a);
const ATTACKS = 8;
const MiB = 1024 * 1024;

/** Sends a 1 GiB header and 4 MiB of junk after it; resolves when the server has closed the socket. */
function attack(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server kept the connection open")), 10_000);
    const socket = connect({ port, host: "127.0.0.1" }, () => {
      socket.write(ONE_GIB_HEADER);
      socket.write(JUNK);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test("1 GiB headers followed by junk do not grow the server's memory, and it keeps serving", async (t) => {
  const server = await startChildServer();
  t.teardown(() => server.child.kill("SIGKILL"));
  const pid = server.child.pid as number;

  // Warm up: one ordinary connection, so lazily loaded code is already resident.
  const warm = await RawClient.open(server.port);
  warm.write([0xdf]);
  t.is((await warm.next()).cmd, Command.HEARTBEAT);
  warm.close();
  const before = residentBytes(pid);

  await Promise.all(Array.from({ length: ATTACKS }, () => attack(server.port)));
  const after = residentBytes(pid);
  t.log(`VmRSS ${(before / MiB).toFixed(1)} MiB -> ${(after / MiB).toFixed(1)} MiB after ${ATTACKS} attacks`);
  t.true(after - before < 16 * MiB, `grew by ${((after - before) / MiB).toFixed(1)} MiB`);

  const client = await RawClient.open(server.port);
  t.teardown(() => client.close());
  client.write([0xdf]);
  t.is((await client.next()).cmd, Command.HEARTBEAT);
});
