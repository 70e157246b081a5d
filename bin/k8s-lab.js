#!/usr/bin/env node
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
// Exit only once stdout has drained: into a slow pipe, a large --json output would be cut short.
await new Promise((resolve) => process.stdout.write('', resolve));
process.exit(code);
