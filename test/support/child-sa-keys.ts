/**
 * The ESP keys of the CHILD_SAs a charon established, read back from its log (a gateway started with
 * `logChildKeys: true`, which sets `chd = 4`): a test can then build ESP that the peer authenticates.
 *
 * strongSwan 5.9's keymat_v2 (derive_child_keys) logs each key as a %B dump in the thread that installs the CHILD_SA,
 * just before that thread logs `CHILD_SA <name>{<id>} established with SPIs <in>_i <out>_o`:
 *
 *   05[CHD] <ecdsa|1> encryption responder key => 36 bytes @ 0x7fb3d0001430
 *   05[CHD] <ecdsa|1>    0: E3 6A 35 74 62 5C FE 0D D8 53 51 AB 9D 9D A4 0D  .j5tb\...SQ.....
 *
 * With an AEAD the "encryption" material ends with its 4-byte salt and no integrity key is logged.
 */

export interface DirectionKeys {
  encryption: Uint8Array;
  /** Empty for AEAD transforms. */
  integrity: Uint8Array;
}

export interface LoggedChildSa {
  /** The child's name in swanctl.conf and its unique id: `ecdsa{1}`. */
  name: string;
  uniqueId: number;
  /** SPIs as the logging charon names them (8 hex digits): the one it receives with and the one it sends with. */
  inboundSpi: string;
  outboundSpi: string;
  /**
   * The KEYMAT split of RFC 7296 §2.17: keys for the data the initiator of the exchange that made this CHILD_SA
   * sends, and for the data its responder sends.
   */
  initiator: DirectionKeys;
  responder: DirectionKeys;
}

/** `HH:MM:SS 05[CHD] <ecdsa|1> message` (time_format and ike_name as test/support/charon.ts writes them). */
const LINE = /^\S+ (\d+)\[\w+\] (?:<[^>]*> )?(.*)$/;
const DUMP_HEAD = /^(.*\S) => (\d+) bytes @ 0x[0-9a-f]+$/;
/** The hex columns of a dump row; the ASCII column after them is two spaces away. */
const DUMP_ROW = /^\s*\d+: ((?:[0-9A-F]{2} )*[0-9A-F]{2})/;
const ESTABLISHED = /^CHILD_SA (\S+)\{(\d+)\} established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o/;

interface Dump {
  label: string;
  length: number;
  bytes: number[];
}

/** Every CHILD_SA in `log` whose keys were logged, in the order they were established. */
export function childSaKeysFromLog(log: string): LoggedChildSa[] {
  const found: LoggedChildSa[] = [];
  // per thread: the dump being read and the finished ones since that thread's last established CHILD_SA
  const open = new Map<string, Dump>();
  const done = new Map<string, Map<string, Uint8Array>>();
  for (const line of log.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const [, thread = '', message = ''] = match;
    const dump = open.get(thread);
    const row = dump && DUMP_ROW.exec(message);
    if (dump && row) {
      for (const pair of (row[1] ?? '').split(' ')) {
        if (dump.bytes.length < dump.length) dump.bytes.push(Number.parseInt(pair, 16));
      }
      continue;
    }
    if (dump) {
      open.delete(thread);
      if (dump.bytes.length === dump.length) {
        const dumps = done.get(thread) ?? new Map<string, Uint8Array>();
        dumps.set(dump.label, Uint8Array.from(dump.bytes));
        done.set(thread, dumps);
      }
    }
    const head = DUMP_HEAD.exec(message);
    if (head) {
      open.set(thread, { label: head[1] ?? '', length: Number(head[2]), bytes: [] });
      continue;
    }
    const established = ESTABLISHED.exec(message);
    const dumps = done.get(thread);
    if (!established || !dumps) continue;
    done.delete(thread);
    const key = (label: string): Uint8Array => dumps.get(label) ?? new Uint8Array(0);
    const encryption = { i: key('encryption initiator key'), r: key('encryption responder key') };
    if (encryption.i.length === 0 || encryption.r.length === 0) continue;
    found.push({
      name: established[1] ?? '',
      uniqueId: Number(established[2]),
      inboundSpi: established[3] ?? '',
      outboundSpi: established[4] ?? '',
      initiator: { encryption: encryption.i, integrity: key('integrity initiator key') },
      responder: { encryption: encryption.r, integrity: key('integrity responder key') },
    });
  }
  return found;
}
