/** The order of pending timers (`TimerStore.due`): earliest first, ties by streamId, then name (code unit order, as every store sorts). */
export function compareTimers(
  a: { readonly dueAt: number; readonly streamId: string; readonly name: string },
  b: { readonly dueAt: number; readonly streamId: string; readonly name: string },
): number {
  if (a.dueAt !== b.dueAt) return a.dueAt - b.dueAt;
  if (a.streamId !== b.streamId) return a.streamId < b.streamId ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}
