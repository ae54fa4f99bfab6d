// A stand-in daemon for the supervisor's tests: behaves as argv[2] says.
//   ready          serve until SIGTERM/SIGINT, then exit 0
//   crash-after    send ready, then exit 1 after argv[3] ms
//   never-ready    never send ready; exit 1 at once
//   stubborn       send ready, ignore SIGTERM and SIGINT (only SIGKILL ends it)
//   done           send ready, then exit 0 on its own
const [mode, arg] = process.argv.slice(2);
const ready = (then = () => undefined) =>
  process.send?.({ type: 'ready', pid: process.pid, port: 1, socket: '', data: '' }, then);
const keepAlive = setInterval(() => undefined, 60_000);
switch (mode) {
  case 'ready':
    for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
    ready();
    break;
  case 'crash-after':
    ready(() => setTimeout(() => process.exit(1), Number(arg)));
    break;
  case 'never-ready':
    process.exit(1);
    break;
  case 'stubborn':
    for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => undefined);
    ready();
    break;
  case 'done':
    ready(() => {
      clearInterval(keepAlive);
      process.disconnect();
    });
    break;
  default:
    process.exit(9);
}
