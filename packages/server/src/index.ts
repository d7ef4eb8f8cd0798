export { createApp, DEFAULT_APP_CONFIG, type AppConfig, type AppDeps } from "./app.js";
export { BcryptSha256Hasher, type Hasher } from "./auth/hasher.js";
export { keyFingerprint, KeyMismatch, SECRET_KEY_FILE } from "./auth/secret-key.js";
export { TokenVault, type SealedToken } from "./auth/tokens.js";
export { DEFAULTS, loadConfig, type ServerConfig } from "./config.js";
export { fastLogger, silentLogger, streamLogger, type Logger } from "./logger.js";
export { serveUntilSignal, startServer, type RunningServer } from "./server.js";
export { DATABASE_FILE, SqliteStore } from "./store/sqlite-store.js";
export { UniqueViolation, type NewUser, type Store, type UserRecord } from "./store/store.js";
