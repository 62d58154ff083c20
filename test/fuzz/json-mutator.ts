/**
 * Structure-aware mutation of JSON documents (requests, profiles): values replaced, keys renamed, dropped or added
 * (prototype names included), lists grown past their limits, values moved between fields; and damage to the text.
 * Each document kind supplies its vocabulary: the keys, strings and numbers its reader compares against.
 */
import type { Dice } from './mutator.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

export interface JsonVocabulary {
  keys: readonly string[];
  strings: readonly string[];
  numbers: readonly number[];
  /** Valid documents: their values are moved into other fields. */
  documents: readonly Json[];
}

/** Keys and strings every JSON reader must survive, whatever its vocabulary. */
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' '];
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\t',
  '\u0000',
  '\ud800',
  '😀',
  '٣',
  'NaN',
  'Infinity',
  'null',
  '../x',
  'a'.repeat(300),
];

/** A copy to insert, so no value is shared between places (a shared one could come to contain itself). */
function clone(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** An own, enumerable key, __proto__ included (an assignment would set the prototype instead). */
function setOwn(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Every object and array inside `value`, itself included. */
function containers(value: Json, out: Container[] = []): Container[] {
  if (value !== null && typeof value === 'object') {
    out.push(value);
    for (const child of Object.values(value)) containers(child, out);
  }
  return out;
}

export class JsonMutator {
  private readonly keys: readonly string[];
  private readonly strings: readonly string[];
  private readonly plausible: readonly Json[];

  constructor(private readonly words: JsonVocabulary) {
    this.keys = [...words.keys, ...HOSTILE_KEYS];
    this.strings = [...words.strings, ...HOSTILE_STRINGS];
    this.plausible = words.documents.flatMap((d) => containers(d).flatMap((c) => Object.values(c)));
  }

  private string(dice: Dice): string {
    switch (dice.int(6)) {
      case 0:
        return dice.pick(this.strings);
      case 1:
        return dice.pick(this.strings) + dice.pick(this.strings);
      case 2: {
        const length = dice.chance(5) ? dice.int(4000) : dice.int(40);
        let out = '';
        for (let i = 0; i < length; i++)
          out += String.fromCharCode(dice.chance(90) ? 32 + dice.int(95) : dice.int(0x10000));
        return out;
      }
      case 3: {
        const address = Array.from({ length: 4 }, () => dice.int(300)).join('.');
        return dice.chance(50) ? `${address}/${dice.int(40)}` : address;
      }
      case 4:
        return `${dice.pick(this.strings)}${dice.int(100_000)}`;
      default: {
        const address = `${dice.int(0x10000).toString(16)}::${dice.int(0x10000).toString(16)}`;
        return dice.chance(30) ? `${address}/${dice.int(140)}` : address;
      }
    }
  }

  private number(dice: Dice): number {
    if (dice.chance(60)) return dice.pick(this.words.numbers) * (dice.chance(10) ? -1 : 1);
    if (dice.chance(50)) return dice.int(70_000);
    return (dice.next() - 2 ** 31) / (1 + dice.int(1000));
  }

  private value(dice: Dice, depth: number): Json {
    switch (dice.int(depth > 2 ? 4 : 7)) {
      case 0:
        return null;
      case 1:
        return dice.chance(50);
      case 2:
        return this.number(dice);
      case 3:
        return this.string(dice);
      case 4:
        return Array.from({ length: dice.int(6) }, () => this.value(dice, depth + 1));
      case 5: {
        const out: { [key: string]: Json } = {};
        for (let i = dice.int(4); i > 0; i--) setOwn(out, dice.pick(this.keys), this.value(dice, depth + 1));
        return out;
      }
      default:
        // a string list of the kind documents hold
        return Array.from({ length: dice.int(10) }, () => this.string(dice));
    }
  }

  /** One structural change somewhere inside `root`. */
  private mutate(dice: Dice, root: Json): void {
    const target = dice.pick(containers(root));
    if (Array.isArray(target)) {
      const i = dice.int(target.length + 1);
      switch (dice.int(4)) {
        case 0:
          target.splice(i, 1);
          break;
        case 1:
          target.splice(i, 0, dice.chance(50) && target.length > 0 ? clone(dice.pick(target)) : this.value(dice, 1));
          break;
        case 2:
          if (target.length > 0) target[i % target.length] = this.value(dice, 1);
          break;
        default:
          // many items, to cross the list limits
          for (let n = dice.pick([5, 9, 33, 513]); n > 0; n--) {
            const first = target[0];
            target.push(first === undefined || typeof first === 'object' ? this.string(dice) : first);
          }
      }
      return;
    }
    const keys = Object.keys(target);
    const key = keys.length > 0 ? dice.pick(keys) : undefined;
    switch (dice.int(5)) {
      case 0:
        if (key !== undefined) delete target[key];
        break;
      case 1:
        setOwn(target, dice.pick(this.keys), this.value(dice, 1));
        break;
      case 2:
        if (key !== undefined) {
          const value = target[key] as Json;
          delete target[key];
          setOwn(target, dice.chance(50) ? dice.pick(this.keys) : this.string(dice), value);
        }
        break;
      case 3:
        if (key !== undefined) setOwn(target, key, this.value(dice, 1));
        break;
      default:
        // a plausible value from another field of a valid document
        if (key !== undefined) setOwn(target, key, clone(dice.pick(this.plausible)));
    }
  }

  /** Damage to the text itself: truncation, splices, random bytes. */
  private mangle(dice: Dice, text: string): string {
    switch (dice.int(5)) {
      case 0:
        return text.slice(0, dice.int(text.length + 1));
      case 1: {
        const at = dice.int(text.length + 1);
        return text.slice(0, at) + text.slice(at + 1 + dice.int(8));
      }
      case 2: {
        const at = dice.int(text.length + 1);
        const piece = dice.pick(['{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', ' ', 'null']);
        return text.slice(0, at) + piece + text.slice(at);
      }
      case 3: {
        const from = dice.int(text.length + 1);
        const piece = text.slice(from, from + dice.int(30));
        const at = dice.int(text.length + 1);
        return text.slice(0, at) + piece + text.slice(at);
      }
      default: {
        const bytes = Buffer.from(dice.bytes(dice.int(200)));
        return dice.chance(50) ? bytes.toString('utf8') : bytes.toString('latin1');
      }
    }
  }

  /** The next document: a valid one changed structurally, textually, or both. */
  document(dice: Dice): string {
    const raw = clone(dice.pick(this.words.documents));
    const structural = dice.int(4) !== 0;
    if (structural) for (let n = 1 + dice.int(3); n > 0; n--) this.mutate(dice, raw);
    let text = JSON.stringify(raw);
    if (!structural || dice.chance(15)) text = this.mangle(dice, text);
    return text;
  }
}
