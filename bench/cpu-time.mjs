// CPU-time measurement for benches on a shared machine (bench/winograd.mjs, bench/winograd-models.mjs --cpu).
/**
 * As harness.measure (rounds, order rotated, median of the rounds), but each task's time is
 * the process's CPU time per call (process.cpuUsage over ≥ `time` ms of calls): on a machine shared
 * with other jobs, wall time counts the time slices others take; every column here runs synchronously
 * on this thread, so CPU time is its own work (cache and memory-bandwidth contention still count).
 */
export async function measureCpu(tasks, { time, rounds }) {
  const per = new Map(tasks.map((t) => [t.key, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[(i + r) % tasks.length];
      await t.activate?.();
      t.run();
      let calls = 0, ms = 0;
      const c0 = process.cpuUsage();
      while (ms < time) { t.run(); calls++; const u = process.cpuUsage(c0); ms = (u.user + u.system) / 1e3; }
      per.get(t.key).push(ms / calls);
    }
  }
  const med = (a) => { const q = [...a].sort((x, y) => x - y); return q[q.length >> 1]; };
  return new Map([...per].map(([k, v]) => [k, { ms: med(v), rounds: v }]));
}
