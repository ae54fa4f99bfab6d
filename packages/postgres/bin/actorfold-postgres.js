#!/usr/bin/env node
// A committed, executable entry point (tsc output is neither): it only loads the compiled CLI,
// and says so plainly when it has not been built yet.
try {
  await import('../dist/cli.js');
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('/dist/cli.js')) {
    process.stderr.write('actorfold-postgres: not built yet: run `npm run build` at the repository root\n');
    process.exit(1);
  }
  throw e;
}
