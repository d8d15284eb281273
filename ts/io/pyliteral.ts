// A parser for the small subset of Python literal syntax that .npy headers use (numpy writes them with repr() and
// reads them with ast.literal_eval): dicts with string keys, tuples, lists, strings, integers, True/False/None.

/** A parsed Python literal. Tuples and lists both become arrays. */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** Deepest nesting parsed: numpy's headers nest two levels; a deeper one is corrupt (and would exhaust the stack). */
const MAX_DEPTH = 32;

const CLOSING: Record<string, string> = { '{': '}', '(': ')', '[': ']' };
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

/**
 * Parses `text` as one Python literal. Throws a SyntaxError that gives the position of the first problem.
 * Integers too large for a double keep their nearest double value; callers check them.
 */
export function parsePyLiteral(text: string): PyValue {
  const parser = new LiteralParser(text);
  const value = parser.value();
  parser.expectEnd();
  return value;
}

class LiteralParser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  value(): PyValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.dict();
    if (c === '(' || c === '[') return this.sequence();
    if (c === "'" || c === '"') return this.string();
    if (c !== undefined && /[-+0-9]/.test(c)) return this.integer();
    for (const [word, value] of [['True', true], ['False', false], ['None', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    throw this.error(c === undefined ? 'unexpected end of text' : `unexpected character ${JSON.stringify(c)}`);
  }

  expectEnd(): void {
    this.skipSpace();
    if (this.pos < this.text.length) throw this.error('unexpected text after the literal');
  }

  private dict(): { [key: string]: PyValue } {
    const out: { [key: string]: PyValue } = {};
    this.items('{', () => {
      const key = this.value();
      if (typeof key !== 'string') throw this.error('dict keys must be strings');
      this.skipSpace();
      this.expect(':');
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
    });
    return out;
  }

  /** A tuple or list. `(x)` without a comma is a parenthesised value, as in Python. */
  private sequence(): PyValue {
    const open = this.text[this.pos];
    const out: PyValue[] = [];
    const commas = this.items(open, () => out.push(this.value()));
    return open === '(' && out.length === 1 && commas === 0 ? out[0] : out;
  }

  /** Parses comma-separated items up to the bracket that closes `open`; returns the number of commas seen. */
  private items(open: string, item: () => void): number {
    const close = CLOSING[open];
    this.expect(open);
    if (++this.depth > MAX_DEPTH) throw this.error(`nested deeper than ${MAX_DEPTH} levels`);
    let commas = 0;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) break;
      item();
      this.skipSpace();
      if (this.text[this.pos] !== ',') break;
      this.pos += 1;
      commas += 1;
    }
    this.skipSpace();
    this.expect(close);
    this.depth -= 1;
    return commas;
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined || c === '\n') throw this.error('unterminated string');
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos++];
      if (e !== undefined && e in ESCAPES) out += ESCAPES[e];
      else if (e === 'x' || e === 'u' || e === 'U') out += this.codePointEscape(e);
      else throw this.error(`unsupported escape \\${e ?? ''} in string`);
    }
  }

  private codePointEscape(kind: string): string {
    const digits = kind === 'x' ? 2 : kind === 'u' ? 4 : 8;
    const hex = this.text.slice(this.pos, this.pos + digits);
    const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === digits ? parseInt(hex, 16) : NaN;
    if (!(code <= 0x10ffff)) throw this.error(`bad \\${kind} escape in string`);
    this.pos += digits;
    return String.fromCodePoint(code);
  }

  /** An integer, optionally signed, with Python 2's optional `L` suffix (old numpy files wrote `(3L, 4L)`). */
  private integer(): number {
    const match = /^[-+]?[0-9]+L?/.exec(this.text.slice(this.pos, this.pos + 40));
    if (!match || /[.eEjJ0-9]/.test(this.text[this.pos + match[0].length] ?? '')) {
      throw this.error('only integer numbers are supported');
    }
    this.pos += match[0].length;
    return Number(match[0].replace('L', ''));
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) throw this.error(`expected ${JSON.stringify(c)}`);
    this.pos += 1;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos += 1;
  }

  private error(problem: string): SyntaxError {
    return new SyntaxError(`${problem} at position ${this.pos}`);
  }
}
