/**
 * Line breaking for table cells and remarks. pdfkit has its own wrapper, but it lays text out twice
 * (to measure, then to draw) and cannot tell us a row's height before drawing; this one is pure, so
 * the invoice can be paginated before a single page is drawn.
 *
 * Rules: Chinese, Japanese and Korean characters may break anywhere; runs of other characters
 * (Latin words, numbers, model codes) break only at spaces unless a run alone is wider than the line;
 * closing punctuation never starts a line and opening punctuation never ends one.
 */

/** Width of a piece of text in points at the size being wrapped; assumed additive over characters. */
export type MeasureText = (text: string) => number;

const TOKEN =
  /\s+|[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFFEF]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFFEF]+/gu;
const SPACE = /^\s+$/;
/** Whitespace the wrapper would change: line breaks, tabs and other spaces, runs, leading or trailing. */
const IRREGULAR_SPACE = /[^\S ]| {2}|^ | $/;
const NO_LINE_START = new Set([..."，。、；：？！）》」』】〕〉”’,.;:?!)]}%"]);
const NO_LINE_END = new Set([..."（《「『【〔〈“‘([{¥"]);

/** Splits one paragraph into unbreakable pieces; whitespace pieces are kept as break opportunities. */
function tokenize(paragraph: string): string[] {
  const tokens: string[] = [];
  let glueNext = false;
  for (const token of paragraph.match(TOKEN) ?? []) {
    const isSpace = SPACE.test(token);
    const previous = tokens[tokens.length - 1];
    if (
      !isSpace &&
      previous !== undefined &&
      !SPACE.test(previous) &&
      (glueNext || NO_LINE_START.has(token[0]!))
    ) {
      tokens[tokens.length - 1] = previous + token;
    } else {
      tokens.push(token);
    }
    glueNext = !isSpace && NO_LINE_END.has(token[token.length - 1]!);
  }
  return tokens;
}

/** Breaks a token wider than the line into pieces that fit, character by character. */
function splitLongToken(token: string, maxWidth: number, measure: MeasureText): string[] {
  const pieces: string[] = [];
  let current = "";
  let width = 0;
  for (const char of token) {
    const charWidth = measure(char);
    if (current && width + charWidth > maxWidth) {
      pieces.push(current);
      current = "";
      width = 0;
    }
    current += char;
    width += charWidth;
  }
  if (current) pieces.push(current);
  return pieces;
}

/**
 * Wraps text into lines no wider than `maxWidth`. Line feeds in the text start new lines; an empty
 * text gives no lines. A single character wider than the line still gets a line of its own.
 */
export function wrapText(text: string, maxWidth: number, measure: MeasureText): string[] {
  // Most cells (figures, short names) are one plain line that fits: the rules below would return
  // it unchanged, so skip tokenizing. The margin keeps rounding at the very edge on the slow path.
  if (text && !IRREGULAR_SPACE.test(text) && measure(text) <= maxWidth - 1e-6) return [text];
  const lines: string[] = [];
  const spaceWidth = measure(" ");
  for (const paragraph of text.split("\n")) {
    let line = "";
    let lineWidth = 0;
    let pendingSpace = false;
    for (const token of tokenize(paragraph)) {
      if (SPACE.test(token)) {
        pendingSpace = line.length > 0;
        continue;
      }
      const tokenWidth = measure(token);
      const gap = pendingSpace ? spaceWidth : 0;
      pendingSpace = false;
      if (lineWidth + gap + tokenWidth <= maxWidth) {
        line += gap ? ` ${token}` : token;
        lineWidth += gap + tokenWidth;
      } else if (line && tokenWidth <= maxWidth) {
        lines.push(line);
        line = token;
        lineWidth = tokenWidth;
      } else {
        // Wider than a whole line: fill the current line with as much of the token as fits.
        const start = line && gap ? `${line} ` : line;
        const pieces = splitLongToken(start + token, maxWidth, measure);
        lines.push(...pieces.slice(0, -1).map((piece) => piece.trimEnd()));
        line = pieces[pieces.length - 1] ?? "";
        lineWidth = measure(line);
      }
    }
    if (line) lines.push(line);
  }
  return lines;
}

/** Keeps at most `maxLines` lines, ending the last kept one with an ellipsis when text was cut. */
export function clampLines(
  lines: string[],
  maxLines: number,
  maxWidth: number,
  measure: MeasureText,
): string[] {
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, Math.max(1, maxLines));
  let last = kept[kept.length - 1]!;
  while (last && measure(`${last}…`) > maxWidth) last = [...last].slice(0, -1).join("");
  kept[kept.length - 1] = `${last}…`;
  return kept;
}
