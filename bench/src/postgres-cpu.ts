/**
 * CPU accounting for the PostgreSQL scenarios, from /proc (Linux): CPU time of given processes,
 * of a PostgreSQL server (the postmaster, its live children and the ones it reaped), and how
 * busy the whole machine was. Used to tell whether a run was CPU-bound and what a command costs
 * in CPU, daemons and server together, which the machine's load does not distort as much as
 * throughput.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** USER_HZ: /proc reports CPU time in 1/100 s. */
export const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name, or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process (plus those of its reaped children), in clock ticks; 0 when it is gone. */
export function cpuTicks(pid: number, reaped = false): number {
  const f = statFields(pid);
  if (f === undefined) return 0;
  const own = Number(f[11]) + Number(f[12]);
  return reaped ? own + Number(f[13]) + Number(f[14]) : own;
}

/** The parent of a process, or -1 when it is gone. */
export function parentOf(pid: number): number {
  const f = statFields(pid);
  return f === undefined ? -1 : Number(f[1]);
}

/** Every process whose parent is `ppid`. */
function childrenOf(ppid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => parentOf(pid) === ppid);
}

/** CPU ticks of a PostgreSQL server: the postmaster, its live processes and every one that ended. */
export function serverTicks(postmaster: number): number {
  return childrenOf(postmaster).reduce((n, p) => n + cpuTicks(p), cpuTicks(postmaster, true));
}

/** [busy, total] jiffies of the whole machine, all cores. */
export function machineTicks(): [number, number] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return [total - idle, total];
}

/** A CPU meter over some processes and a server: start it, then read what was spent since. */
export interface CpuSample {
  /** CPU seconds of the processes. */
  processes: number;
  /** CPU seconds of the server's processes. */
  server: number;
  /** Share of the machine's cores that were busy (0..1), every process on it counted. */
  busy: number;
  /** The 1-minute load average when the sample ended. */
  load: number;
}

/** Starts measuring; the returned function gives what was spent since (call it before the processes exit). */
export function cpuMeter(pids: () => readonly number[], postmaster: number): () => CpuSample {
  const sum = () => pids().reduce((n, p) => n + cpuTicks(p), 0);
  const p0 = sum();
  const s0 = serverTicks(postmaster);
  const [b0, t0] = machineTicks();
  return () => {
    const [b1, t1] = machineTicks();
    return {
      processes: (sum() - p0) / TICKS_PER_SECOND,
      server: (serverTicks(postmaster) - s0) / TICKS_PER_SECOND,
      busy: t1 > t0 ? (b1 - b0) / (t1 - t0) : Number.NaN,
      load: loadavg()[0] ?? Number.NaN,
    };
  };
}
