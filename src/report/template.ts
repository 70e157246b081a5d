import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../paths.js';

/** The report template shipped in the package (`templates/report.md`). */
export const REPORT_TEMPLATE = 'report.md';

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
/** A line that is only an HTML comment: where the template cites what backs its sentences; not copied into the report. */
const COMMENT_LINE = /^<!--[\s\S]*?-->[ \t]*\n/gm;

function withoutComments(template: string): string {
  return template.replace(COMMENT_LINE, '');
}

/** Reads a template shipped in `templates/`. */
export function readTemplate(name: string = REPORT_TEMPLATE, dir: string = templatesDir): string {
  return readFileSync(join(dir, name), 'utf8');
}

/** The placeholder names a template uses, each once, in order of first use. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...withoutComments(template).matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''))];
}

/**
 * Replaces every `{{name}}` with its value in one pass (a value that itself contains `{{x}}` is
 * left as it is), after dropping the lines that are only comments (`<!-- ... -->`). A placeholder without a value, or a value no placeholder asks for, is an error:
 * the template and the code that fills it must not drift apart silently.
 */
export function fillTemplate(template: string, values: Record<string, string>): string {
  const used = templatePlaceholders(template);
  const missing = used.filter((name) => !Object.hasOwn(values, name));
  const unused = Object.keys(values).filter((name) => !used.includes(name));
  if (missing.length || unused.length) {
    const problems = [missing.length ? `no value for ${missing.join(', ')}` : '', unused.length ? `no placeholder for ${unused.join(', ')}` : ''];
    throw new Error(`report template does not match its values: ${problems.filter(Boolean).join('; ')}`);
  }
  return withoutComments(template).replace(PLACEHOLDER, (_, name: string) => values[name] ?? '');
}
