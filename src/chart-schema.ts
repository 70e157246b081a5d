import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartDir } from './paths.js';

/** The parts of a JSON schema string rule that k8s-lab checks itself. */
export interface StringRule {
  type?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

interface SchemaNode extends StringRule {
  properties?: Record<string, SchemaNode>;
}

/** The rule of a value in the chart's values.schema.json (`app.version`), or undefined when it has none. */
export function chartValueRule(path: string, schemaFile = join(chartDir, 'values.schema.json')): StringRule | undefined {
  let node: SchemaNode | undefined = JSON.parse(readFileSync(schemaFile, 'utf8')) as SchemaNode;
  for (const key of path.split('.')) node = node?.properties?.[key];
  return node;
}

/** Why `value` breaks a string rule (as helm would reject it), or undefined when it fits. */
export function ruleViolation(value: string, rule: StringRule): string | undefined {
  if (rule.minLength !== undefined && value.length < rule.minLength)
    return value.length === 0 ? 'it is empty' : `it is shorter than ${rule.minLength} characters`;
  if (rule.maxLength !== undefined && value.length > rule.maxLength) return `it is ${value.length} characters long, at most ${rule.maxLength} fit`;
  if (rule.pattern !== undefined && !new RegExp(rule.pattern, 'u').test(value)) return `it must match ${rule.pattern}`;
  return undefined;
}

/**
 * Why a version does not fit the chart's rule for app.version (a pod label value too), or
 * undefined: checked before anything changes, where helm would reject it only in the upgrade.
 */
export function appVersionViolation(value: string): string | undefined {
  const rule = chartValueRule('app.version');
  return rule && ruleViolation(value, rule);
}
