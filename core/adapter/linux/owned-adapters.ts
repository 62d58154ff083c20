/**
 * The persistent TUN devices the privileged helper makes for users' engines: each journaled before it is made (its
 * own journal in the state dir, apart from the network plan's), deleted when its session ends, and after a crash or a
 * reboot by recovery. A user can open only a device made for their uid (the kernel checks the owner).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Change, undo } from './changes.js';
import { type CommandRunner, runCommand } from './commands.js';
import { currentProcess, readJournal, removeJournal, setAsideJournal, undoJournal, writeJournal } from './journal.js';
import { createPersistentTun } from './tun.js';

const JOURNAL_FILE = 'adapters.json';
/** More than enough for one helper: it serves one network session at a time. */
const MAX_DEVICES = 64;

export class OwnedAdapters {
  private readonly journalPath: string;
  private readonly run: CommandRunner;
  /** Where the kernel lists interfaces: a name found there is taken. */
  private readonly netDir: string;
  private devices: Change[] = [];

  constructor(options: { stateDir: string; run?: CommandRunner; netDir?: string }) {
    this.journalPath = join(options.stateDir, JOURNAL_FILE);
    this.run = options.run ?? runCommand;
    this.netDir = options.netDir ?? '/sys/class/net';
  }

  /** A new device `outpostN` owned by `owner`; its name is chosen here so it can be journaled first. */
  async create(owner: { uid: number; gid: number }): Promise<string> {
    let index = 0;
    while (index < MAX_DEVICES && existsSync(join(this.netDir, `outpost${index}`))) index++;
    const name = `outpost${index}`;
    this.devices.push({ kind: 'tun-device', name });
    writeJournal(this.journalPath, currentProcess(), this.devices);
    createPersistentTun(name, owner);
    return name;
  }

  /** Deletes the device; tolerant of one already gone. */
  async remove(name: string): Promise<void> {
    const change = this.devices.find((d) => d.kind === 'tun-device' && d.name === name);
    if (!change) return;
    await undo(change, this.run);
    this.devices = this.devices.filter((d) => d !== change);
    if (this.devices.length === 0) removeJournal(this.journalPath);
    else writeJournal(this.journalPath, currentProcess(), this.devices);
  }

  /** Deletes every device a previous helper left behind (it crashed, or the machine rebooted). */
  async recover(): Promise<void> {
    const journal = readJournal(this.journalPath);
    if (journal === 'missing') return;
    if (journal === 'unreadable') {
      setAsideJournal(this.journalPath);
      return;
    }
    await undoJournal(this.journalPath, journal.changes, this.run);
  }
}
