/** Which implementation runs a transform: node:crypto (OpenSSL, or BoringSSL in Electron), or pure-JS @noble. */
export type Backend = 'node' | 'noble';

/**
 * The pinned backend's implementation, or by default node's with noble's only where the runtime lacks the
 * algorithm; undefined when the chosen backend has none.
 */
export function pickBackend<T>(
  pinned: Backend | undefined,
  node: () => T | undefined,
  noble: () => T | undefined,
): readonly [Backend, T] | undefined {
  const fromNode = pinned === 'noble' ? undefined : node();
  if (fromNode !== undefined) return ['node', fromNode];
  const fromNoble = pinned === 'node' ? undefined : noble();
  return fromNoble === undefined ? undefined : ['noble', fromNoble];
}
