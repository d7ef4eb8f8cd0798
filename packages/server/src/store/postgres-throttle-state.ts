import { historiesOf, type Decision, type Histories, type ThrottleEvent, type ThrottleState } from "../throttle/throttle-state.js";

type Query = (text: string, values: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
/** Runs `work` inside BEGIN … COMMIT on one connection (rolled back if it throws), handing it that connection's query. */
type Transaction = <T>(work: (query: Query) => Promise<T>) => Promise<T>;

/** How often (1 in N admissions that record) expired events of every key are swept, not only the touched keys'. */
const SWEEP_EVERY = 500;

const LIVE_EVENTS = "SELECT key, at FROM throttle_events WHERE key = ANY($1::text[]) AND expires > $2 ORDER BY at";

/**
 * One transaction-scoped advisory lock per key, taken in the order of the
 * locks' numbers so that two admissions sharing keys cannot deadlock. Held
 * until COMMIT, and taken before the read, so the read sees every event
 * committed by whoever held a lock before.
 */
const LOCK_KEYS =
  "SELECT pg_advisory_xact_lock(lock) FROM (SELECT DISTINCT hashtext(k) AS lock FROM unnest($1::text[]) AS k ORDER BY lock) AS locks";

/** Records the events ($3, $4, $5: keys, times, expiries) and drops the expired events of the keys read ($1) at $2. */
const RECORD_AND_PRUNE = `WITH pruned AS (DELETE FROM throttle_events WHERE key = ANY($1::text[]) AND expires <= $2)
  INSERT INTO throttle_events (key, at, expires) SELECT * FROM unnest($3::text[], $4::bigint[], $5::bigint[])`;

/** As RECORD_AND_PRUNE, dropping the expired events of every key ($1 is the time). */
const RECORD_AND_SWEEP = `WITH swept AS (DELETE FROM throttle_events WHERE expires <= $1)
  INSERT INTO throttle_events (key, at, expires) SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[])`;

/**
 * Deletes one event per (key, time) in $1, $2 and every event under the
 * keys in $3, and inserts $3, $4, $5 (keys, times, expiries) in their place.
 * One statement: atomic, and one round trip on a successful login.
 */
const SETTLE = `WITH forgotten AS (
    DELETE FROM throttle_events WHERE ctid = ANY(ARRAY(
      SELECT (SELECT e.ctid FROM throttle_events e WHERE e.key = f.key AND e.at = f.at LIMIT 1)
      FROM unnest($1::text[], $2::bigint[]) AS f(key, at)))
  ), replaced AS (DELETE FROM throttle_events WHERE key = ANY($3::text[]))
  INSERT INTO throttle_events (key, at, expires) SELECT * FROM unnest($3::text[], $4::bigint[], $5::bigint[])`;

const columns = (events: readonly ThrottleEvent[]) => [events.map((e) => e.key), events.map((e) => e.at), events.map((e) => e.expires)];

/**
 * Throttle history in PostgreSQL, so every instance on one database counts
 * the same failed logins. `admit` is one transaction that locks its keys
 * (advisory locks), reads, and records; `settle` is one statement. The
 * touched keys' expired events are dropped as they are recorded, and now
 * and then every expired event is swept, so keys an attacker invents do
 * not pile up.
 */
export class PostgresThrottleState implements ThrottleState {
  constructor(
    private readonly query: Query,
    private readonly transaction: Transaction,
  ) {}

  admit<T>(keys: readonly string[], now: number, decide: (histories: Histories) => Decision<T>): Promise<T> {
    return this.transaction(async (query) => {
      await query(LOCK_KEYS, [keys]);
      const { rows } = await query(LIVE_EVENTS, [keys, now]);
      const { verdict, record } = decide(historiesOf(rows.map((row) => ({ key: String(row.key), at: Number(row.at) }))));
      if (record.length > 0) {
        if (Math.random() * SWEEP_EVERY < 1) await query(RECORD_AND_SWEEP, [now, ...columns(record)]);
        else await query(RECORD_AND_PRUNE, [keys, now, ...columns(record)]);
      }
      return verdict;
    });
  }

  async settle(forget: readonly ThrottleEvent[], replace: readonly ThrottleEvent[]): Promise<void> {
    if (forget.length === 0 && replace.length === 0) return;
    const [forgetKeys, forgetTimes] = columns(forget);
    await this.query(SETTLE, [forgetKeys, forgetTimes, ...columns(replace)]);
  }
}
