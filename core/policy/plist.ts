/**
 * The subset of Apple's XML property lists that managed preferences use: dict, array, string, integer, real, true,
 * false (date and data are read as absent). macOS writes managed preferences as binary plists; the reader converts them
 * with `plutil -convert xml1` (on every Mac) and this parses the XML, so one parser is tested here with fixtures.
 */

export class PlistError extends Error {
  override name = 'PlistError';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

type Token = { tag: string; kind: 'open' | 'close' | 'empty' } | { text: string };

function tokens(xml: string): Token[] {
  const body = xml.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, '');
  const out: Token[] = [];
  for (const [, text, close, tag, empty] of body.matchAll(/([^<]+)|<(\/?)([A-Za-z]+)[^>]*?(\/?)>/g)) {
    if (text !== undefined) {
      if (text.trim() !== '') out.push({ text: decodeEntities(text) });
    } else out.push({ tag: tag!, kind: close ? 'close' : empty ? 'empty' : 'open' });
  }
  return out;
}

/** The root value of an XML plist, as JSON-like values (integers as numbers, true/false as booleans). */
export function parseXmlPlist(xml: string): unknown {
  const list = tokens(xml);
  let at = 0;
  const next = () => {
    const token = list[at++];
    if (token === undefined) throw new PlistError('the property list ends too early');
    return token;
  };
  const expectClose = (tag: string) => {
    const token = next();
    if (!('tag' in token) || token.tag !== tag || token.kind !== 'close')
      throw new PlistError(`<${tag}> is not closed`);
  };
  const textOf = (tag: string): string => {
    const token = list[at];
    if (token !== undefined && 'text' in token) {
      at++;
      expectClose(tag);
      return token.text;
    }
    expectClose(tag);
    return '';
  };
  const value = (): unknown => {
    const token = next();
    if (!('tag' in token) || token.kind === 'close') throw new PlistError('a value was expected');
    const { tag, kind } = token;
    if (tag === 'true' || tag === 'false') {
      if (kind === 'open') expectClose(tag);
      return tag === 'true';
    }
    if (kind === 'empty') return tag === 'array' ? [] : tag === 'dict' ? {} : tag === 'string' ? '' : undefined;
    switch (tag) {
      case 'string':
        return textOf(tag);
      case 'integer':
      case 'real': {
        const number = Number(textOf(tag).trim());
        if (!Number.isFinite(number)) throw new PlistError(`<${tag}> holds no number`);
        return number;
      }
      case 'date':
      case 'data':
        textOf(tag);
        return undefined;
      case 'array': {
        const items: unknown[] = [];
        while (!isClose('array')) items.push(value());
        at++;
        return items;
      }
      case 'dict': {
        const dict: Record<string, unknown> = {};
        while (!isClose('dict')) {
          const key = next();
          if (!('tag' in key) || key.tag !== 'key' || key.kind !== 'open') throw new PlistError('a <key> was expected');
          const name = textOf('key');
          dict[name] = value();
        }
        at++;
        return dict;
      }
      default:
        throw new PlistError(`<${tag}> is not a property list value`);
    }
  };
  const isClose = (tag: string) => {
    const token = list[at];
    return token !== undefined && 'tag' in token && token.tag === tag && token.kind === 'close';
  };
  const root = next();
  if (!('tag' in root) || root.tag !== 'plist' || root.kind !== 'open')
    throw new PlistError('this is not a property list');
  const result = value();
  expectClose('plist');
  return result;
}
