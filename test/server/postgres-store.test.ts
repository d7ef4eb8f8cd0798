import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { PG_MIGRATIONS } from "../../packages/server/src/store/postgres-migrations.js";
import { PostgresStore } from "../../packages/server/src/store/postgres-store.js";
import { redactUrl } from "../../packages/server/src/store/postgres-errors.js";
import { StoreBusy, StoreUnavailable } from "../../packages/server/src/store/store.js";
import type { ThrottleState } from "../../packages/server/src/throttle/throttle-state.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { storeContract } from "../helpers/store-contract.js";
import { peek } from "../helpers/throttle.js";

let cluster: PostgresCluster;
before(async () => {
  cluster = await startPostgres();
});
after(async () => {
  await cluster.stop();
});

storeContract("PostgresStore", async () => {
  const url = await cluster.createDatabase();
  return {
    store: await PostgresStore.open({ url }),
    reopen: () => PostgresStore.open({ url }),
    remove: () => Promise.resolve(),
  };
});

describe("PostgresStore", () => {
  it("applies each migration exactly once when five instances open a new database at once", async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresStore.open({ url })));
    try {
      const client = new pg.Client(url);
      await client.connect();
      const { rows } = await client.query<{ version: number }>("SELECT version FROM authctl_schema ORDER BY version");
      await client.end();
      assert.deepEqual(rows.map((row) => row.version), PG_MIGRATIONS.map((_, i) => i + 1));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("refuses a database from a newer server", async () => {
    const url = await cluster.createDatabase();
    await (await PostgresStore.open({ url })).close();
    const client = new pg.Client(url);
    await client.connect();
    await client.query("INSERT INTO authctl_schema (version, applied) VALUES ($1, now())", [PG_MIGRATIONS.length + 1]);
    await client.end();
    await assert.rejects(PostgresStore.open({ url }), /newer than this server/);
  });

  it("shares throttle history between instances on one database", async () => {
    const url = await cluster.createDatabase();
    const [one, two] = await Promise.all([PostgresStore.open({ url }), PostgresStore.open({ url })]);
    try {
      const now = Date.now();
      const record = (state: ThrottleState, key: string, at: number) =>
        state.admit([key], at, () => ({ verdict: undefined, record: [{ key, at, expires: at + 60_000 }] }));
      await record(one.throttleState(), "login:ada", now - 2000);
      await record(two.throttleState(), "login:ada", now - 1000);
      await record(two.throttleState(), "login:bob", now - 1000);
      assert.deepEqual(await peek(two.throttleState(), ["login:ada"], now), new Map([["login:ada", [now - 2000, now - 1000]]]));
      assert.deepEqual(await peek(one.throttleState(), ["login:ada"], now + 58_500), new Map([["login:ada", [now - 1000]]]));
      await record(one.throttleState(), "login:ada", now + 120_000);
      assert.deepEqual(await peek(one.throttleState(), ["login:ada", "login:bob"], 0), new Map([["login:ada", [now + 120_000]], ["login:bob", [now - 1000]]]), "the touched key's expired events are dropped");
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it("cancels a statement past the statement timeout and reports StoreBusy", async () => {
    const url = await cluster.createDatabase();
    const store = await PostgresStore.open({ url, statementTimeoutMs: 50 });
    const holder = new pg.Client(url);
    await holder.connect();
    try {
      // Another session holds a row lock, so the update waits until the timeout cancels it.
      await store.createUser({ username: "alice", email: "alice@example.com", passwordHash: "h" }, { digest: "d", sealed: "s" });
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM users WHERE username = 'alice' FOR UPDATE");
      const user = await store.findUserByUsername("alice");
      assert.ok(user);
      await assert.rejects(store.setPasswordHash(user.id, "other"), (error: unknown) => error instanceof StoreBusy);
      await holder.query("ROLLBACK");
      await store.setPasswordHash(user.id, "other");
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it("reports an unreachable database as StoreUnavailable, naming no password", async () => {
    const url = "postgres://someone:hunter2@127.0.0.1:1/nowhere";
    const failure = await PostgresStore.open({ url, connectTimeoutMs: 2000 }).then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof StoreUnavailable, String(failure));
    assert.doesNotMatch(failure.message, /hunter2/);
    assert.equal(redactUrl(url), "postgres://someone:***@127.0.0.1:1/nowhere");
  });
});
