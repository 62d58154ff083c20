/** The gateway's address as the profile names it, resolved to the IPv4 address the connection talks to. */
import { lookup } from 'node:dns/promises';
import { OutpostError } from '../errors.js';

export async function resolveGateway(address: string): Promise<string> {
  try {
    return (await lookup(address, { family: 4 })).address;
  } catch (error) {
    throw new OutpostError('network', `The gateway address "${address}" could not be found. Check the profile.`, {
      cause: error,
    });
  }
}
