/**
 * The release version, kept equal to package.json's by core/version.test.ts. A constant rather than a read of
 * package.json at run time: the packaged command is one bundled file with no package.json beside it.
 */
export const VERSION = '0.1.0';
