/**
 * Structure-aware mutation of DER (X.690): the encoding becomes a tree (constructed elements, and OCTET STRINGs that
 * wrap DER as certificate extensions do), a node is changed, removed, repeated or replaced, and the tree is encoded
 * again with lengths that agree, so the input gets past the length checks into the certificate's fields.
 */
import { DerReader } from '../../core/crypto/asn1.js';
import { type Dice, mutateBytes } from './mutator.js';

export interface DerNode {
  tag: number;
  /** Children of a constructed element, or of an OCTET STRING that wraps DER; undefined for a plain primitive. */
  children: DerNode[] | undefined;
  contents: Uint8Array;
}

const CONSTRUCTED = 0x20;
const OCTET_STRING = 0x04;

function parseAll(bytes: Uint8Array): DerNode[] | undefined {
  try {
    const reader = new DerReader(bytes, 'fuzz seed');
    const nodes: DerNode[] = [];
    while (!reader.done) {
      const element = reader.read();
      nodes.push(toNode(element.tag, element.contents));
    }
    return nodes;
  } catch {
    return undefined;
  }
}

function toNode(tag: number, contents: Uint8Array): DerNode {
  const wraps = (tag & CONSTRUCTED) !== 0 || (tag === OCTET_STRING && contents.length > 0);
  const children = wraps ? parseAll(contents) : undefined;
  return { tag, children: (tag & CONSTRUCTED) !== 0 ? (children ?? []) : children, contents };
}

/** The tree of one valid DER element. */
export function parseTree(bytes: Uint8Array): DerNode {
  const [root] = parseAll(bytes) ?? [];
  if (root === undefined) throw new Error('seed is not DER');
  return root;
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

export function encodeTree(node: DerNode): Uint8Array {
  const contents = node.children ? Buffer.concat(node.children.map(encodeTree)) : node.contents;
  return Buffer.concat([Uint8Array.of(node.tag, ...encodeLength(contents.length)), contents]);
}

function clone(node: DerNode): DerNode {
  return { tag: node.tag, children: node.children?.map(clone), contents: node.contents };
}

function allNodes(node: DerNode, out: DerNode[] = []): DerNode[] {
  out.push(node);
  for (const child of node.children ?? []) allNodes(child, out);
  return out;
}

/** Tags certificates use, and a few they must not (high tag number form, indefinite-length encodings' tags). */
const TAGS = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x1e, 0x1f, 0x30, 0x31, 0x80, 0x81, 0x82, 0x87,
  0xa0, 0xa3, 0xa4,
];

/** A copy of `root` with one to a few changes; `donors` are elements that may be put in anywhere. */
export function mutateTree(dice: Dice, root: DerNode, donors: readonly DerNode[]): DerNode {
  const out = clone(root);
  for (let n = dice.few(4); n > 0; n--) {
    const node = dice.pick(allNodes(out));
    const children = node.children;
    const at = children ? dice.int(children.length + 1) : 0;
    switch (dice.int(7)) {
      case 0:
        node.tag = dice.pick(TAGS);
        break;
      case 1:
        if (children) children.splice(at, 1);
        else node.contents = mutateBytes(dice, node.contents);
        break;
      case 2:
        if (children && children.length > 0) children.splice(at, 0, clone(children[at % children.length]!));
        break;
      case 3:
        if (children) children.splice(at, 0, clone(dice.pick(donors)));
        break;
      case 4: {
        const donor = clone(dice.pick(donors));
        Object.assign(node, donor);
        break;
      }
      case 5:
        // the node as opaque bytes from now on: its contents mutated without regard to its inner structure
        node.contents = mutateBytes(dice, node.children ? Buffer.concat(node.children.map(encodeTree)) : node.contents);
        node.children = undefined;
        break;
      default:
        if (children && children.length > 1) {
          const other = dice.int(children.length);
          [children[at % children.length], children[other]] = [children[other]!, children[at % children.length]!];
        }
    }
  }
  return out;
}
