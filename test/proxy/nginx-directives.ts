/**
 * nginx.conf read the way nginx reads it (ngx_conf_read_token): words separated by whitespace,
 * `#` to the end of the line is a comment, quotes group a word, `\` escapes, and `;`, `{`, `}` end a
 * directive. The tests then compare directives, so comments and layout never matter to them.
 */

export interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  /** Present for block directives (`http { … }`), even when empty. */
  readonly block?: readonly Directive[];
}

type Token = { readonly kind: "word"; readonly text: string } | { readonly kind: ";" | "{" | "}" };

const ESCAPES: Readonly<Record<string, string>> = { t: "\t", r: "\r", n: "\n" };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (/\s/.test(char)) {
      at++;
    } else if (char === "#") {
      while (at < text.length && text[at] !== "\n") at++;
    } else if (char === ";" || char === "{" || char === "}") {
      tokens.push({ kind: char });
      at++;
    } else {
      const quote = char === '"' || char === "'" ? char : undefined;
      if (quote !== undefined) at++;
      let word = "";
      for (;;) {
        if (at >= text.length) {
          if (quote !== undefined) throw new Error(`unterminated ${quote} string`);
          break;
        }
        const next = text[at]!;
        if (quote !== undefined && next === quote) {
          at++;
          break;
        }
        if (quote === undefined && (/\s/.test(next) || next === ";" || next === "{" || next === "}")) break;
        if (next === "\\" && at + 1 < text.length) {
          const escaped = text[at + 1]!;
          word += ESCAPES[escaped] ?? (escaped === '"' || escaped === "'" || escaped === "\\" ? escaped : `\\${escaped}`);
          at += 2;
          continue;
        }
        word += next;
        at++;
      }
      tokens.push({ kind: "word", text: word });
    }
  }
  return tokens;
}

/** The directive tree of `text`; throws on what nginx would refuse to parse (unbalanced braces, a directive without `;`). */
export function parseNginxConf(text: string): Directive[] {
  const tokens = tokenize(text);
  let at = 0;
  const parseBlock = (nested: boolean): Directive[] => {
    const directives: Directive[] = [];
    for (;;) {
      const token = tokens[at];
      if (token === undefined) {
        if (nested) throw new Error("unexpected end of file: a block is not closed");
        return directives;
      }
      if (token.kind === "}") {
        if (!nested) throw new Error('unexpected "}"');
        at++;
        return directives;
      }
      if (token.kind !== "word") throw new Error(`unexpected "${token.kind}" where a directive name belongs`);
      const name = token.text;
      const args: string[] = [];
      at++;
      for (;;) {
        const next = tokens[at];
        if (next === undefined) throw new Error(`directive "${name}" has no ";" or "{"`);
        at++;
        if (next.kind === "word") {
          args.push(next.text);
        } else if (next.kind === ";") {
          directives.push({ name, args });
          break;
        } else if (next.kind === "{") {
          directives.push({ name, args, block: parseBlock(true) });
          break;
        } else {
          throw new Error(`directive "${name}" is not terminated by ";"`);
        }
      }
    }
  };
  return parseBlock(false);
}

/** The one block directive `name` (with `args`, when given) among `directives`; throws when absent or repeated. */
export function block(directives: readonly Directive[], name: string, ...args: string[]): readonly Directive[] {
  const matches = directives.filter((entry) => entry.name === name && entry.block !== undefined && (args.length === 0 || entry.args.join(" ") === args.join(" ")));
  if (matches.length !== 1) throw new Error(`expected one "${[name, ...args].join(" ")} { … }", found ${matches.length}`);
  return matches[0]!.block!;
}

/** Simple directives as `name arg…` lines (blocks as `name arg… {…}`), for readable comparisons. */
export function lines(directives: readonly Directive[]): string[] {
  const word = (text: string) => (text === "" || /[\s;{}"']/.test(text) ? JSON.stringify(text) : text);
  return directives.map((entry) => [entry.name, ...entry.args].map(word).join(" ") + (entry.block ? " {…}" : ""));
}
