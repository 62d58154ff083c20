// Runs inside a test's network namespace (`ip netns exec NS node --import tsx test/interop/adapter-agent.ts MODE`)
// for test/interop/adapter-linux.test.ts: a TUN device is created in the namespace of the process that opens it, and
// /etc/resolv.conf is the namespace's own file only for processes started by `ip netns exec`.
//
// MODE `serve`: JSON commands on stdin, one per line; one JSON answer per command on stdout.
// MODE `close-and-return`: open, read, write, close, then return from main: the process must exit by itself.
// MODE `stay-open`: the same without close (the control: this one must not exit).
// MODE `throwing-handler`: the packet handler throws; that must surface as an uncaught exception.
// MODE `device-deleted`: the interface is deleted under an open adapter; prints counters and CPU time a second later.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { LinuxNetworkConfigurator, recoverAfterCrash } from '../../core/adapter/linux/configure.js';
import { openLinuxTun } from '../../core/adapter/linux/tun.js';
import type { NetworkPlan, VirtualAdapter } from '../../core/adapter/types.js';
import { serveAgent } from '../support/agent.js';

export type AgentCommand =
  | { op: 'open'; name?: string }
  | { op: 'apply'; plan: NetworkPlan; stateDir: string }
  | { op: 'restore' }
  | { op: 'recover'; stateDir: string }
  | { op: 'write'; packets: string[] }
  | { op: 'received'; count: number; protocol: number; timeoutMs: number }
  | { op: 'counters' }
  | { op: 'close' }
  | { op: 'resolv-conf-writable'; writable: boolean };

const mode = process.argv[2];

if (mode === 'serve') serve();
else if (mode === 'close-and-return' || mode === 'stay-open') openWriteMaybeClose(mode === 'close-and-return');
else if (mode === 'throwing-handler') throwingHandler();
else if (mode === 'device-deleted') deviceDeleted();
else throw new Error(`unknown mode ${mode}`);

function serve(): void {
  let adapter: VirtualAdapter | undefined;
  let configurator: LinuxNetworkConfigurator | undefined;
  const received: Uint8Array[] = [];
  const waiters = new Set<() => void>();

  const handle = async (command: AgentCommand): Promise<unknown> => {
    switch (command.op) {
      case 'open':
        adapter = openLinuxTun(command.name);
        adapter.onPackets((packet) => {
          // the bytes are only lent for the call: copy
          received.push(Uint8Array.from(packet));
          for (const wake of waiters) wake();
        });
        return adapter.name;
      case 'apply':
        configurator = new LinuxNetworkConfigurator({ stateDir: command.stateDir });
        await configurator.apply(command.plan);
        return undefined;
      case 'restore':
        await configurator?.restore();
        return undefined;
      case 'recover':
        return recoverAfterCrash(command.stateDir);
      case 'write':
        for (const hex of command.packets) adapter?.write(Buffer.from(hex, 'hex'));
        return adapter?.counters;
      case 'received':
        return waitFor(command.count, command.protocol, command.timeoutMs);
      case 'counters':
        return adapter?.counters;
      case 'close':
        adapter?.close();
        return undefined;
      case 'resolv-conf-writable':
        // `ip netns exec` bind-mounts the namespace's resolv.conf in its own mount namespace: remounting that bind
        // read-only makes writing it back fail (EROFS) for this process only
        execFileSync('mount', ['-o', `remount,bind,${command.writable ? 'rw' : 'ro'}`, '/etc/resolv.conf']);
        return undefined;
    }
  };

  /** Hex of the IPv4 packets with `protocol` read so far, once there are `count` of them (or at the timeout). */
  const waitFor = (count: number, protocol: number, timeoutMs: number): Promise<string[]> =>
    new Promise((resolve) => {
      const matching = () => received.filter((p) => p[0]! >> 4 === 4 && p[9] === protocol);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(matching().map((p) => Buffer.from(p).toString('hex')));
      };
      const check = () => {
        if (matching().length >= count) done();
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(check);
      check();
    });

  const lines = serveAgent(handle);
  lines.on('close', () => {
    adapter?.close();
  });
}

function openWriteMaybeClose(close: boolean): void {
  const adapter = openLinuxTun();
  adapter.onPackets(() => undefined);
  // a packet the kernel refuses (not IP) is counted, not thrown
  adapter.write(Uint8Array.of(0x00, 0x01, 0x02));
  process.stdout.write(`${JSON.stringify({ name: adapter.name, counters: adapter.counters })}\n`);
  if (close) {
    adapter.close();
    adapter.write(Uint8Array.of(0x45));
    process.stdout.write(`${JSON.stringify({ afterClose: adapter.counters })}\n`);
  }
}

function throwingHandler(): void {
  const adapter = openLinuxTun();
  process.stdout.write(`${JSON.stringify({ name: adapter.name })}\n`);
  adapter.onPackets(() => {
    throw new Error('handler failed on purpose');
  });
  execFileSync('ip', ['addr', 'add', '203.0.113.5/32', 'dev', adapter.name]);
  execFileSync('ip', ['link', 'set', 'dev', adapter.name, 'up']);
  execFileSync('ip', ['route', 'add', '198.51.100.0/24', 'dev', adapter.name]);
  // a datagram routed into the adapter: the handler sees it and throws
  const socket = createSocket('udp4');
  socket.send('x', 9, '198.51.100.9', () => socket.close());
}

function deviceDeleted(): void {
  const adapter = openLinuxTun();
  adapter.onPackets(() => undefined);
  execFileSync('ip', ['link', 'delete', adapter.name]);
  const cpu = process.cpuUsage();
  setTimeout(() => {
    const used = process.cpuUsage(cpu);
    adapter.write(Uint8Array.of(0x45, 0, 0, 20));
    process.stdout.write(
      `${JSON.stringify({ counters: adapter.counters, cpuMs: (used.user + used.system) / 1000 })}\n`,
    );
    adapter.close();
  }, 1000);
}
