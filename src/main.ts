#!/usr/bin/env node
// The entry point (bin/customs, npm start). Start-up cost matters for a CLI in every CI job, so:
// the compile cache and the module-format hook are set up before anything else is loaded (static
// imports would be linked first), `customs version` answers without loading the rest, and each
// command loads only its own modules (src/cli/main.ts).
import { enableCompileCache } from 'node:module';
import './boot/module-format.ts';

enableCompileCache();
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === 'version' || argv[0] === '--version')) {
  process.stdout.write(`${(await import('./version.ts')).VERSION}\n`);
} else {
  await (await import('./cli/main.ts')).run(argv);
}
