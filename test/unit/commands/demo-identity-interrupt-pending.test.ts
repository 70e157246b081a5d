// Ctrl-C during demo-identity's pending phase, through main(): the node is uncordoned, exit 130. In a
// file of its own: the first Ctrl-C aborts the process-wide interrupt signal for good.
import { it } from 'vitest';
import { interruptedIn } from '../../support/identity-interrupt.js';

it('Ctrl-C during pending: the node uncordoned, exit 130, the record says so', async () => {
  await interruptedIn('pending');
});
