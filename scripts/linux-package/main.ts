/** `npm run package:linux`: the Debian package of the command line and its network service, into release/. */
import { buildLinuxPackage } from './build.js';

const built = await buildLinuxPackage();
process.stdout.write(`${built.path}\n`);
