/**
 * A real failed fsync for a child process: a tiny LD_PRELOAD library makes `fdatasync` and
 * `fsync` fail with EIO while a flag file exists (its path in AF_FAIL_SYNC), so LevelDB (or
 * anything else) in a process started with it hits the failure it would on a dying disk.
 * Compiled with the machine's C compiler; undefined when there is none (tests using it skip).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
static int failing(void) {
  const char *flag = getenv("AF_FAIL_SYNC");
  return flag != NULL && access(flag, F_OK) == 0;
}
int fdatasync(int fd) {
  if (failing()) { errno = EIO; return -1; }
  return ((int (*)(int))dlsym(RTLD_NEXT, "fdatasync"))(fd);
}
int fsync(int fd) {
  if (failing()) { errno = EIO; return -1; }
  return ((int (*)(int))dlsym(RTLD_NEXT, "fsync"))(fd);
}
`;

/**
 * Compiles the library into the folder `dir` (created if missing) and returns its path, or
 * undefined when it cannot be built here (no `cc`, not Linux). Start the child with
 * `LD_PRELOAD=<path>` and `AF_FAIL_SYNC=<flag file>`; its syncs fail while the flag file exists.
 */
export function failingSyncLibrary(dir: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'shim.c'), SOURCE);
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'shim.so'), join(dir, 'shim.c'), '-ldl'], {
      stdio: 'ignore',
    });
    return join(dir, 'shim.so');
  } catch {
    return undefined;
  }
}
