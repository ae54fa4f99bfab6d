// pm2 process file for the example daemon: `pm2 start deploy/ecosystem.config.cjs` from the
// repository root (after `npm run build`). See docs/deploy.md.
const shutdownTimeoutMs = 10_000;

module.exports = {
  apps: [
    {
      name: 'actorfold',
      // The daemon itself, not `npm start`: pm2's stop signal must reach the process that drains.
      script: 'apps/daemon/dist/daemon-main.js',
      exec_mode: 'fork',
      instances: 1, // one process per store folder: LevelDB is single-writer
      // pm2 stops with SIGINT, then SIGKILL after kill_timeout: cover the drain and the daemon's
      // own 5 s margin.
      kill_timeout: shutdownTimeoutMs + 10_000,
      autorestart: true,
      min_uptime: 5_000,
      max_restarts: 10,
      // 0 is a clean stop, 2 bad settings: neither is retried.
      stop_exit_codes: [0, 2],
      env: {
        NODE_ENV: 'production',
        ACTORFOLD_DATA: 'data/store',
        ACTORFOLD_SOCKET: 'data/admin.sock',
        ACTORFOLD_PORT: '3100',
        ACTORFOLD_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      },
    },
  ],
};
