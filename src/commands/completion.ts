import type { Command, Option } from 'commander';
import { dependenciesOf } from '../dependencies.js';

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

/**
 * The completion library (@bomb.sh/tab) over the whole program: every command with its options,
 * and an option's choices (--strategy's) as its values. It prints with console.log; that goes to
 * the command's stdout here.
 */
type Completions = typeof import('@bomb.sh/tab').default;
type Target = Pick<Completions, 'option'>;

/** Registers commander's options with the completion library: a valued option completes to its choices (none for free text). */
function addOptions(target: Target, options: readonly Option[]): void {
  for (const option of options) {
    const name = option.long?.slice(2);
    if (!name) continue;
    const alias = option.short?.slice(1);
    const choices = option.argChoices ?? [];
    if (option.required || option.optional) target.option(name, option.description, (add) => choices.forEach((choice) => add(choice, '')), alias);
    else target.option(name, option.description, alias);
  }
}

async function withCompletions(command: Command, body: (completion: Completions) => void): Promise<void> {
  const { default: completion } = await import('@bomb.sh/tab');
  const root = rootOf(command);
  const stdout = dependenciesOf(command).stdout ?? process.stdout;
  addOptions(completion, root.options);
  for (const sub of root.commands) {
    if (sub.name() === 'complete') continue;
    const entry = completion.command(sub.name(), sub.description());
    addOptions(entry, sub.options);
    for (const argument of sub.registeredArguments) {
      const choices = argument.argChoices ?? [];
      entry.argument(argument.name(), (add) => choices.forEach((choice) => add(choice, '')), argument.variadic);
    }
  }
  const log = console.log;
  console.log = (...parts: unknown[]) => void stdout.write(`${parts.join(' ')}\n`);
  try {
    body(completion);
  } finally {
    console.log = log;
  }
}

/** `k8s-lab completion <shell>`: the script for the shell. */
export async function printCompletion(shell: string, command: Command): Promise<void> {
  await withCompletions(command, (completion) => completion.setup('k8s-lab', 'k8s-lab', shell));
}

/** What the shell scripts run at each Tab: `k8s-lab complete -- <words so far>`. */
export async function complete(words: string[], command: Command): Promise<void> {
  await withCompletions(command, (completion) => completion.parse(words));
}
