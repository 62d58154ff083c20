// strongSwan's own initiator in the client namespace, configured for the gateway's four connections: the reference
// our client is compared with, and the proof that the harness itself works.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Charon } from './charon.js';
import type { Gateway, GatewayConnection } from './gateway.js';
import type { TestNetwork } from './netns.js';
import { oathtoolTotp } from './oathtool.js';
import { createRunDir, removeRunDir } from './run-dir.js';
import { section } from './swanctl-conf.js';

export interface StrongswanClientOptions {
  /** IKE proposal the client offers (strongSwan syntax). */
  ikeProposal?: string;
  /** ESP proposal the client offers. */
  espProposal?: string;
}

export interface StrongswanClient {
  /** PID of the client's charon. */
  pid: number;
  /**
   * Establishes the connection's IKE and CHILD SA; ok is swanctl's verdict, output its log of the exchange.
   * For `totp` the EAP-GTC round sends totpCode if given, else the current code from oathtool.
   */
  initiate(conn: GatewayConnection, options?: { totpCode?: string }): Promise<{ ok: boolean; output: string }>;
  /**
   * Deletes the connection's IKE SA. With force, without waiting for the gateway's answer (after a gateway restart
   * nobody answers, and charon would retransmit for minutes).
   */
  terminate(conn: string, options?: { force?: boolean }): Promise<void>;
  /** `swanctl --list-sas` of the client's charon. */
  listSas(): Promise<string>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** EAP secrets are looked up by EAP identity, so the GTC round uses its own identity to get the TOTP code. */
const OTP_IDENTITY_SUFFIX = '-otp';
const INITIATE_TIMEOUT_S = '20';

export async function startStrongswanClient(
  net: TestNetwork,
  gateway: Gateway,
  options: StrongswanClientOptions = {},
): Promise<StrongswanClient> {
  const dir = await createRunDir('sw');
  try {
    return await startIn(dir, net, gateway, options);
  } catch (error) {
    await removeRunDir(dir);
    throw error;
  }
}

async function startIn(
  dir: string,
  net: TestNetwork,
  gateway: Gateway,
  options: StrongswanClientOptions,
): Promise<StrongswanClient> {
  const swanctlDir = join(dir, 'swanctl');
  const x509ca = join(swanctlDir, 'x509ca');
  await mkdir(x509ca, { recursive: true });
  for (const ca of [gateway.pki.ecdsaCaPem, gateway.pki.rsaCaPem]) await copyFile(ca, join(x509ca, basename(ca)));
  const conf = join(swanctlDir, 'swanctl.conf');
  await writeFile(conf, swanctlConf(gateway, options, null));
  // resolve writes the DNS server it receives; the bind mount keeps the host's /etc/resolv.conf out of reach.
  const resolvConf = join(dir, 'resolv.conf');
  await writeFile(resolvConf, '');

  const charon = await Charon.start(net, net.clientNs, {
    dir,
    extraPlugins: ['resolve'],
    pluginSettings: `
    resolve {
      file = ${resolvConf}
    }`,
    bindMounts: [{ source: resolvConf, target: '/etc/resolv.conf' }],
  });
  try {
    await charon.swanctlOk(['--load-all', '--noprompt']);
  } catch (error) {
    await charon.stop();
    throw error;
  }

  return {
    pid: charon.pid,
    async initiate(conn, initiateOptions = {}) {
      if (conn === 'totp') {
        const code = initiateOptions.totpCode ?? (await oathtoolTotp(gateway.totpSecret));
        await writeFile(conf, swanctlConf(gateway, options, code));
        await charon.swanctlOk(['--load-creds', '--noprompt']);
      }
      const result = await charon.swanctl([
        '--initiate',
        '--ike',
        conn,
        '--child',
        conn,
        '--timeout',
        INITIATE_TIMEOUT_S,
      ]);
      return { ok: result.code === 0, output: result.stdout + result.stderr };
    },
    async terminate(conn, terminateOptions = {}) {
      const wait = terminateOptions.force ? ['--force'] : ['--timeout', INITIATE_TIMEOUT_S];
      await charon.swanctlOk(['--terminate', '--ike', conn, ...wait]);
    },
    listSas: () => charon.swanctlOk(['--list-sas']),
    log: () => charon.log(),
    stop: async () => {
      await charon.stop();
      await removeRunDir(dir);
    },
  };
}

function swanctlConf(gateway: Gateway, options: StrongswanClientOptions, otp: string | null): string {
  const { user } = gateway;
  const common = (name: GatewayConnection): string[] => [
    'version = 2',
    `remote_addrs = ${gateway.address}`,
    'vips = 0.0.0.0',
    `proposals = ${options.ikeProposal ?? 'aes256gcm16-prfsha256-x25519'}`,
    'fragmentation = yes',
    'mobike = no',
    section('remote', [name === 'psk' ? 'auth = psk' : 'auth = pubkey', `id = ${gateway.ids[name]}`]),
    section('children', [
      section(name, [`remote_ts = ${gateway.splitSubnet}`, `esp_proposals = ${options.espProposal ?? 'aes256gcm16'}`]),
    ]),
  ];
  const mschap = (suffix: string): string =>
    section(`local${suffix}`, ['auth = eap-mschapv2', `id = ${user.name}`, `eap_id = ${user.name}`]);

  const connections = section('connections', [
    section('ecdsa', [...common('ecdsa'), mschap('')]),
    section('rsa', [...common('rsa'), mschap('')]),
    section('psk', [...common('psk'), section('local', ['auth = psk', `id = ${gateway.pskClientId}`])]),
    section('totp', [
      ...common('totp'),
      mschap('-1'),
      section('local-2', ['auth = eap-gtc', `id = ${user.name}`, `eap_id = ${user.name}${OTP_IDENTITY_SUFFIX}`]),
    ]),
  ]);
  const secrets = section('secrets', [
    section('eap-user', [`id = ${user.name}`, `secret = "${user.password}"`]),
    section('ike-psk', [`id-1 = ${gateway.ids.psk}`, `id-2 = ${gateway.pskClientId}`, `secret = "${gateway.psk}"`]),
    ...(otp === null ? [] : [section('eap-otp', [`id = ${user.name}${OTP_IDENTITY_SUFFIX}`, `secret = "${otp}"`])]),
  ]);
  return `# written by test/support/strongswan-client.ts\n${connections}\n${secrets}\n`;
}
