// Text → search tokens, shared by indexing and querying so both agree.
// Case- and accent-insensitive (NFKD, marks dropped, lower-cased; full-width forms folded).
// Scripts written without spaces (Han, kana, Hangul) become overlapping bigrams plus the run's
// last character, so any substring of two or more characters is a phrase of consecutive bigrams
// and a single character is a prefix of some token.

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3005\u30fc]/u;
const RUNS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3005\u30fc]+|[\p{L}\p{N}]+/gu;

/** Case-, accent- and width-folded text. */
const MAX_TERM_CHARS = 500;
const MAX_TERM_RUNS = 16;

export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().normalize('NFC');
}

/** A piece of text: a word, or a run of CJK characters. */
export interface Run {
  text: string;
  cjk: boolean;
}

export function runsOf(text: string): Run[] {
  return [...fold(text).matchAll(RUNS)].map((m) => ({ text: m[0], cjk: CJK.test(m[0]) }));
}

/** The tokens stored in the index, space-separated. */
export function indexTokens(text: string): string {
  const out: string[] = [];
  for (const run of runsOf(text)) {
    if (!run.cjk) {
      out.push(run.text);
      continue;
    }
    const chars = [...run.text];
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
    out.push(chars.at(-1)!);
  }
  return out.join(' ');
}

/** The words of a search term: a search box's worth; longer input would only make the query slow. */
export function searchRuns(term: string): Run[] {
  return runsOf(term.slice(0, MAX_TERM_CHARS)).slice(0, MAX_TERM_RUNS);
}

/**
 * An FTS4 MATCH expression requiring every word of the search term: words as prefixes, CJK runs
 * as phrases of their bigrams. Undefined when the term has nothing searchable.
 */
export function matchExpression(term: string): string | undefined {
  const parts: string[] = [];
  for (const run of searchRuns(term)) {
    const chars = [...run.text];
    if (!run.cjk || chars.length === 1) parts.push(`${run.text}*`);
    else {
      const bigrams: string[] = [];
      for (let i = 0; i + 1 < chars.length; i++) bigrams.push(chars[i]! + chars[i + 1]!);
      parts.push(`"${bigrams.join(' ')}"`);
    }
  }
  return parts.length ? parts.join(' ') : undefined;
}
