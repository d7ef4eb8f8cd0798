import type { ThrottleState } from "../throttle/throttle-state.js";

type Query = (text: string, values: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** How often (1 in N records) expired events of every key are swept, not only the touched key's. */
const SWEEP_EVERY = 500;

/**
 * Throttle history in PostgreSQL, so every instance on one database counts
 * the same failed logins. Each key's old events are dropped when it is
 * touched, and now and then every expired event is swept, so keys an
 * attacker invents do not pile up.
 */
export class PostgresThrottleState implements ThrottleState {
  constructor(private readonly query: Query) {}

  async recent(key: string, since: number): Promise<readonly number[]> {
    const { rows } = await this.query("SELECT at FROM throttle_events WHERE key = $1 AND at > $2 ORDER BY at", [key, since]);
    return rows.map((row) => Number(row.at));
  }

  async record(key: string, at: number, keepMs: number): Promise<void> {
    await this.query("INSERT INTO throttle_events (key, at, expires) VALUES ($1, $2, $3)", [key, at, at + keepMs]);
    await this.query("DELETE FROM throttle_events WHERE key = $1 AND expires <= $2", [key, at]);
    if (Math.random() * SWEEP_EVERY < 1) await this.query("DELETE FROM throttle_events WHERE expires <= $1", [at]);
  }
}
