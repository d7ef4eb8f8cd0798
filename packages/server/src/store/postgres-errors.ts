import { StoreBusy, StoreUnavailable, UniqueViolation } from "./store.js";

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection lost",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ENOENT: "no server socket at that path",
};

const SQLSTATE_REASONS: Record<string, string> = {
  "57P01": "the server is shutting down",
  "57P02": "the server is shutting down",
  "57P03": "the server is not accepting connections yet",
  "53300": "too many connections",
  "3D000": "the database does not exist",
  "28P01": "password authentication failed",
  "28000": "the server refused this role",
};

/**
 * Turns a `pg` failure into the store's typed errors: lost or refused
 * connections become StoreUnavailable (503, and /healthz says why), a
 * statement past `statement_timeout` StoreBusy, a unique index UniqueViolation.
 * Messages name no host, user or password.
 */
export function translatePgError(error: unknown, statementTimeoutMs: number): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const constraint = (error as { constraint?: unknown }).constraint;
  if (code === "23505") {
    if (constraint === "users_username_key") return new UniqueViolation("username");
    if (constraint === "users_email_iexact") return new UniqueViolation("email");
    return error;
  }
  if (code === "57014") return new StoreBusy(statementTimeoutMs);
  // lock_not_available: a lock_timeout (the health probe's) ran out.
  if (code === "55P03") return new StoreBusy(statementTimeoutMs);
  const reason = unavailableReason(error, code);
  return reason === undefined ? error : new StoreUnavailable(reason);
}

function unavailableReason(error: Error, code: unknown): string | undefined {
  if (typeof code === "string") {
    const known = NETWORK_CODES[code] ?? SQLSTATE_REASONS[code];
    if (known !== undefined) return known;
    if (code.startsWith("08")) return "connection failure";
  }
  const message = error.message;
  if (message.includes("timeout exceeded when trying to connect")) return "no connection could be made in time";
  if (message.includes("Connection terminated")) return "connection lost";
  if (message.includes("not queryable")) return "connection lost";
  if (message.includes("Cannot use a pool after calling end")) return "the store is closed";
  return undefined;
}

/** The URL with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    for (const name of ["password", "sslpassword"]) {
      if (parsed.searchParams.has(name)) parsed.searchParams.set(name, "***");
    }
    return parsed.toString();
  } catch {
    return "(an unparsable database URL)";
  }
}
