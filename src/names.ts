import { UsageError } from './errors.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Release and namespace names are DNS-1123 labels; Helm also caps release names at 53 characters. */
export function checkName(kind: 'release' | 'namespace', value: string): string {
  const max = kind === 'release' ? 53 : 63;
  if (!DNS_LABEL.test(value) || value.length > max) {
    throw new UsageError(
      `invalid ${kind} name "${value}": it must be at most ${max} lower-case letters, digits or '-', starting and ending with a letter or digit`,
      `e.g. --${kind} ${kind === 'release' ? 'helm-python' : 'k8s-lab'}`,
    );
  }
  return value;
}
