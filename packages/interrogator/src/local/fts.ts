/** How the words of a local search match words in the index. */
export type PrefixMode = "last" | "all" | "none";

// What FTS5's unicode61 tokenizer keeps as word characters (letters, numbers, combining marks).
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The searchable words of a text, as the index's tokenizer would split it. */
export function ftsWords(text: string): string[] {
  return text.normalize("NFKC").match(WORD) ?? [];
}

/**
 * Turns user text into a safe FTS5 MATCH expression: every word is quoted (so FTS syntax such as
 * `AND`, `NEAR`, `*`, `"`, `:`, `^`, `-` in the text is never interpreted) and all words must
 * match. With `prefix: "last"` (as-you-type) the last word also matches longer words, unless the
 * text ends with a space. Returns `undefined` when the text has no words.
 */
export function toFtsQuery(text: string, prefix: PrefixMode = "last"): string | undefined {
  const words = ftsWords(text);
  if (words.length === 0) return undefined;
  const typingLast = prefix === "last" && !/\s$/u.test(text);
  return words
    .map((w, i) => {
      const quoted = `"${w}"`; // words contain no quotes (see WORD)
      const isPrefix = prefix === "all" || (typingLast && i === words.length - 1);
      return isPrefix ? `${quoted}*` : quoted;
    })
    .join(" ");
}
