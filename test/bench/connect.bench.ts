/**
 * Connect time: `outpost connect` to CHILD_SA against the test gateway, side by side in the same run with strongSwan's
 * own initiator (a second charon in the client namespace, `swanctl --initiate`) against the same gateway: launched
 * for each connection as the command is (charon started, its configuration loaded, then initiated), and running.
 */
import { performance } from 'node:perf_hooks';
import { loginArgs, OutpostProcess } from '../interop/cli-process.js';
import { median } from '../interop/connect-times.js';
import { startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { type StrongswanClient, startStrongswanClient } from '../support/strongswan-client.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const IKE = 'aes256gcm16-prfsha256-x25519';
const ESP = 'aes256gcm16';

/** Initiates, returns the milliseconds from `since` to the CHILD_SA, and terminates again. */
async function msToChildSa(client: StrongswanClient, since: number): Promise<number> {
  const result = await client.initiate('ecdsa');
  const ms = performance.now() - since;
  if (!result.ok) throw new Error(`strongSwan did not connect: ${result.output}`);
  await client.terminate('ecdsa');
  return ms;
}

const net = await TestNetwork.create();
try {
  const gw = await startGateway(net);
  const options = { ikeProposal: IKE, espProposal: ESP };
  const ours = { wall: [] as number[], protocol: [] as number[], ready: [] as number[] };
  const theirs = { launched: [] as number[], running: [] as number[] };
  const args = loginArgs(gw, { extra: ['--ike', IKE, '--esp', ESP] });
  // one charon at a time holds the client namespace's IKE ports: each launched one stops before the next run
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const proc = OutpostProcess.start(net, args, { OUTPOST_PASSWORD: gw.user.password });
    const connected = await proc.waitFor('connected');
    const t1 = performance.now();
    if (!connected) throw new Error(`outpost did not connect: ${proc.stderr}`);
    ours.wall.push(t1 - t0);
    ours.protocol.push(Number(connected.childSaMs));
    ours.ready.push(Number(connected.readyMs));
    if ((await proc.stop()) !== 0) throw new Error(`outpost did not exit cleanly: ${proc.stderr}`);

    const s0 = performance.now();
    const launched = await startStrongswanClient(net, gw, options);
    theirs.launched.push(await msToChildSa(launched, s0));
    await launched.stop();
  }
  const strongswan = await startStrongswanClient(net, gw, options);
  for (let i = 0; i < RUNS; i++) {
    theirs.running.push(await msToChildSa(strongswan, performance.now()));
  }
  await strongswan.stop();
  await gw.stop();

  const m = {
    wall: median(ours.wall),
    protocol: median(ours.protocol),
    ready: median(ours.ready),
    launched: median(theirs.launched),
    running: median(theirs.running),
  };
  const f = (n: number) => `${n.toFixed(1)} ms`;
  console.log(`connect to CHILD_SA, EAP-MSCHAPv2 + ECDSA P-256 gateway, ${IKE} / ${ESP}, median of ${RUNS} runs`);
  console.log(`  strongSwan 5.9 (swanctl --initiate, charon running)   ${f(m.running)}`);
  console.log(
    `  outpost, connect() to CHILD_SA in the process           ${f(m.protocol)}   ratio ${(m.protocol / m.running).toFixed(2)}`,
  );
  // the adapter, addresses, routes and DNS after the CHILD_SA: what a user waits for before packets flow
  console.log(`  outpost, connect() to traffic (adapter configured)      ${f(m.ready)}`);
  console.log(`  strongSwan 5.9 launched (charon start, load, initiate) ${f(m.launched)}`);
  console.log(
    `  outpost, whole command incl. Node.js start-up          ${f(m.wall)}   ratio ${(m.wall / m.launched).toFixed(2)}`,
  );
} finally {
  await net.destroy();
}
