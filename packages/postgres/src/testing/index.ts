export {
  startTemporaryServer,
  type TemporaryServer,
  type TemporaryServerOptions,
  temporaryServerUnavailable,
} from './temporary-server.js';
