import { podOrdinal } from '../adapters/kube-objects.js';

// Number and text formatting shared by the Markdown report and the SVG timelines. Every function
// is pure and locale-independent, so the same record always renders to the same bytes.

/** A duration: `0 ms`, `250 ms`, `1.4 s`, `38.4 s` (whole milliseconds below one second). */
export function formatDuration(ms: number): string {
  const whole = Math.round(ms);
  if (Math.abs(whole) < 1000) return `${whole} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A moment of a run, in seconds since it started: `0.0 s`, `12.3 s`. */
export function formatOffset(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A ratio as a percentage with two decimals: 0.2619… → `26.19%`. */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

/** A counter value, or an em dash where there is none. */
export function formatCounter(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : String(value);
}

/** Collapses whitespace (new lines included) to single spaces. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const URL_PATTERN = /\bhttps?:\/\/[^\s`]*[^\s`.,;:!?)'"]/g;

/**
 * Text from a record, made safe to place in Markdown prose: one line, Markdown syntax escaped,
 * URLs shown as code (a bare URL would turn into a link, and markdownlint flags it).
 */
export function markdownText(text: string): string {
  const line = oneLine(text);
  const escape = (part: string) => part.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
  let out = '';
  let last = 0;
  for (const match of line.matchAll(URL_PATTERN)) {
    out += escape(line.slice(last, match.index)) + inlineCode(match[0]);
    last = match.index + match[0].length;
  }
  return out + escape(line.slice(last));
}

/** Text for one table cell; an empty cell would make a table harder to read, so it shows a dash. */
export function tableCell(text: string): string {
  return text === '' ? '—' : text;
}

/** An inline code span that holds any text, backticks included (CommonMark's rule: a longer fence). */
export function inlineCode(text: string): string {
  const value = oneLine(text);
  const longestRun = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

/** A Markdown table with a header row; `align` takes `l`, `r` or `c` per column. */
export function markdownTable(headers: string[], rows: string[][], align: string = ''): string {
  const separator = headers.map((_, i) => {
    const a = align[i] ?? 'l';
    return a === 'r' ? '---:' : a === 'c' ? ':---:' : '---';
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(separator), ...rows.map((row) => line(headers.map((_, i) => tableCell(row[i] ?? ''))))].join('\n');
}

/** A bullet list, one item a line. */
export function markdownList(items: string[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}

/** Text made safe for XML character data and attribute values; characters XML 1.0 forbids are dropped. */
export function escapeXml(text: string): string {
  const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

/** Sorts pod names the way a StatefulSet numbers them (`x-2` before `x-10`), then by name. */
export function compareByOrdinal(a: string, b: string): number {
  return podOrdinal(a) - podOrdinal(b) || (a < b ? -1 : a > b ? 1 : 0);
}
