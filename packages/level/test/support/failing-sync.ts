/**
 * The failed-fsync library of `@actorfold/testing/crash` (LD_PRELOAD: fsync fails with EIO while
 * the flag file in AF_FAIL_SYNC exists), compiled into this test file's temp folder.
 */
import { failingSyncLibrary as compile } from '@actorfold/testing/crash';
import { freshFolder } from './folders.js';

/** The compiled library's path, or undefined when it cannot be built here (no cc, not Linux). */
export function failingSyncLibrary(): string | undefined {
  return compile(freshFolder('failing-sync'));
}
