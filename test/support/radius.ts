// FreeRADIUS 3.2 on the LAN host (198.51.100.10:1812) with a configuration of its own, written here: the gateway's
// eap-radius plugin relays EAP to it. It serves EAP-MSCHAPv2, EAP-TLS (users' certificates from the ECDSA CA),
// EAP-TTLS (inner PAP, MS-CHAPv2 or EAP) and PEAPv0/EAP-MSCHAPv2 with its own certificate for radius.example.test
// from the RSA CA: a RADIUS server's certificate need not come from the gateway's CA.
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild, type TestNetwork } from './netns.js';
import type { Issued } from './pki.js';

export const RADIUS_ADDRESS = '198.51.100.10';
export const RADIUS_SERVER_NAME = 'radius.example.test';
const START_TIMEOUT_MS = 15_000;

export interface RadiusServer {
  address: typeof RADIUS_ADDRESS;
  /** The shared secret of the gateway (client 198.51.100.1). */
  secret: string;
  /** The user every password method knows. */
  user: { name: string; password: string };
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface RadiusOptions {
  dir: string;
  secret: string;
  user: { name: string; password: string };
  certificate: Issued;
  /** PEM file of the CA that issues the users' certificates (EAP-TLS). */
  usersCaFile: string;
}

/** Both servers: EAP first, then the users file and the password modules for TTLS's PAP and MS-CHAPv2 attributes. */
const AUTH_SECTIONS = `  authorize {
    eap {
      ok = return
    }
    files
    pap
    mschap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
    Auth-Type MS-CHAP {
      mschap
    }
    eap
  }
  post-auth {
  }`;

function radiusdConf(o: RadiusOptions): string {
  const { dir } = o;
  return `# written by test/support/radius.ts
prefix = /usr
exec_prefix = /usr
sysconfdir = ${dir}
localstatedir = ${dir}
sbindir = /usr/sbin
logdir = ${dir}
raddbdir = ${dir}
radacctdir = ${dir}
name = freeradius
confdir = ${dir}
modconfdir = ${dir}
certdir = ${dir}
cadir = ${dir}
run_dir = ${dir}
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = files
  file = ${dir}/radius.log
  auth = yes
  auth_badpass = no
  auth_goodpass = no
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 3
  max_requests_per_server = 0
}
client gateway {
  ipaddr = 198.51.100.1
  secret = ${o.secret}
  require_message_authenticator = yes
}
modules {
  pap {
  }
  mschap {
  }
  files {
    filename = ${dir}/users
  }
  eap {
    default_eap_type = mschapv2
    timer_expire = 60
    ignore_unknown_eap_types = no
    max_sessions = 1024
    md5 {
    }
    gtc {
      auth_type = PAP
    }
    mschapv2 {
    }
    tls-config tls-common {
      private_key_file = ${o.certificate.key}
      certificate_file = ${o.certificate.cert}
      ca_file = ${o.usersCaFile}
      cipher_list = "DEFAULT"
      tls_min_version = "1.2"
      tls_max_version = "1.2"
      ecdh_curve = "prime256v1"
      check_crl = no
    }
    tls {
      tls = tls-common
    }
    ttls {
      tls = tls-common
      default_eap_type = mschapv2
      copy_request_to_tunnel = yes
      use_tunneled_reply = no
      virtual_server = inner-tunnel
    }
    peap {
      tls = tls-common
      default_eap_type = mschapv2
      copy_request_to_tunnel = yes
      use_tunneled_reply = no
      virtual_server = inner-tunnel
    }
  }
}
server default {
  listen {
    type = auth
    ipaddr = ${RADIUS_ADDRESS}
    port = 1812
  }
${AUTH_SECTIONS}
}
# what TTLS and PEAP run inside their tunnels
server inner-tunnel {
${AUTH_SECTIONS}
}
`;
}

/** Starts radiusd in the LAN namespace and waits until it listens. */
export async function startRadius(net: TestNetwork, options: RadiusOptions): Promise<RadiusServer> {
  const { dir } = options;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'radiusd.conf'), radiusdConf(options));
  await writeFile(join(dir, 'users'), `${options.user.name} Cleartext-Password := "${options.user.password}"\n`);
  const child: ChildProcess = net.spawn(net.lanNs, ['freeradius', '-f', '-d', dir, '-n', 'radiusd'], {
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-65536);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-65536);
  });
  const log = async (): Promise<string> => {
    const file = await readFile(join(dir, 'radius.log'), 'utf8').catch(() => '');
    return file + output;
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const listening = await net.exec(net.lanNs, ['ss', '-Hlun', 'sport = :1812']);
    if (listening.stdout.trim()) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child, 2000);
      throw new Error(`freeradius did not start: ${await log()}`);
    }
    await sleep(100);
  }
  return {
    address: RADIUS_ADDRESS,
    secret: options.secret,
    user: options.user,
    log,
    stop: () => stopChild(child, 3000),
  };
}
