// Adds lock entries for the platform binaries of Biome and Turborepo that this workplace's
// npm registry does not serve (darwin, win32, android, musl). npm writes no entry for an
// optional dependency it cannot resolve, and `npm ci` then refuses the lock as out of sync.
// The entries carry only os/cpu/libc, so npm skips them on other platforms without fetching.
// Run after any `npm install` that rewrote package-lock.json: `node scripts/lock-platforms.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const platform = (name) => {
  const os = name.includes('darwin')
    ? 'darwin'
    : name.includes('win')
      ? 'win32'
      : name.includes('android')
        ? 'android'
        : 'linux';
  const cpu = name.includes('arm64') ? 'arm64' : 'x64';
  return { os: [os], cpu: [cpu], ...(name.endsWith('-musl') ? { libc: ['musl'] } : {}) };
};
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!/node_modules\/(@biomejs\/biome|turbo)$/.test(path)) continue;
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key]) continue;
    lock.packages[key] = { version, optional: true, ...platform(dep) };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platforms: added ${added} platform entries`);
