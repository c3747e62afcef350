/**
 * Preloaded into a CLI process under test (node --import): every TCP connection to a host other
 * than those in T2L_ALLOWED_HOSTS ("127.0.0.1:5300,localhost:5300", or a bare host for any port) is
 * refused, and written to T2L_HOST_GUARD_LOG, so a test fails when anything would reach the public
 * Hub (or any other host) instead of the local one. fetch, http(s) and raw sockets all connect
 * through net.Socket.prototype.connect, so patching it covers them; Unix sockets are let through.
 */
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const allowed = new Set(
  (process.env.T2L_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const log = process.env.T2L_HOST_GUARD_LOG;
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(...args) {
  // net.connect passes its normalized [options, callback] array; direct calls pass the pieces.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  let host = 'localhost';
  let port;
  if (first && typeof first === 'object') {
    if (typeof first.path === 'string') return connect.apply(this, args);
    host = first.host ?? 'localhost';
    port = first.port;
  } else if (typeof first === 'number' || /^\d+$/.test(String(first))) {
    port = first;
    if (typeof args[1] === 'string') host = args[1];
  } else if (typeof first === 'string') {
    return connect.apply(this, args); // an IPC path
  }
  const where = `${host}:${port}`;
  if (!allowed.has(where) && !allowed.has(host)) {
    if (log) appendFileSync(log, `${where}\n`);
    throw new Error(
      `host guard: connection to ${where} refused (allowed: ${[...allowed].join(', ') || 'none'})`,
    );
  }
  return connect.apply(this, args);
};
