import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import type { Account, Api, RawAnswer, RawRequest, TokenCheck } from "../../packages/cli/src/api-client.js";
import { ConfigFile } from "../../packages/cli/src/config-file.js";
import type { Context } from "../../packages/cli/src/context.js";
import { ServerUnreachable } from "../../packages/cli/src/errors.js";
import { Output } from "../../packages/cli/src/output.js";
import type { Choice, Prompter } from "../../packages/cli/src/prompter.js";
import { refusal } from "../../packages/cli/src/refusals.js";
import { CredentialsFile } from "../../packages/cli/src/secrets/credentials-file.js";
import { KeychainUnavailable, type Keychain } from "../../packages/cli/src/secrets/keychain.js";
import { TokenStore } from "../../packages/cli/src/secrets/token-store.js";
import { tempDir } from "./temp.js";

interface FakeUser extends Account {
  password: string;
  token?: string;
}

/** An in-memory account API speaking DRF's answers, with a log of what it was asked. */
export class FakeApi implements Api {
  readonly users = new Map<string, FakeUser>();
  readonly calls: string[] = [];
  /** Servers (base URLs) that are down. */
  readonly down = new Set<string>();
  /** Whether `GET /account/me/` exists (false: an original DRF app). */
  hasMe = true;
  /** What `request` answers, by "METHOD path". */
  readonly answers = new Map<string, RawAnswer>();
  readonly requests: (RawRequest & { baseUrl: string })[] = [];

  addUser(username: string, password = "pw"): FakeUser {
    const user = { username, email: `${username}@example.com`, password };
    this.users.set(username, user);
    return user;
  }

  private reach(baseUrl: string, what: string): void {
    this.calls.push(`${what} ${baseUrl}`);
    if (this.down.has(baseUrl)) throw new ServerUnreachable(`cannot reach ${baseUrl}: connection refused`);
  }

  private issue(user: FakeUser): string {
    user.token ??= randomBytes(20).toString("hex");
    return user.token;
  }

  probe(baseUrl: string): Promise<void> {
    this.reach(baseUrl, "probe");
    return Promise.resolve();
  }

  register(baseUrl: string, input: Account & { password: string; password2: string }): Promise<Account & { token: string }> {
    this.reach(baseUrl, "register");
    if (input.password !== input.password2) return Promise.reject(refusal({ error: "P1 and P2 should be same!" }));
    if (this.users.has(input.username)) return Promise.reject(refusal({ username: ["A user with that username already exists."] }, input.username));
    const user = { username: input.username, email: input.email, password: input.password };
    this.users.set(user.username, user);
    return Promise.resolve({ username: user.username, email: user.email, token: this.issue(user) });
  }

  login(baseUrl: string, username: string, password: string): Promise<string> {
    this.reach(baseUrl, "login");
    const user = this.users.get(username);
    if (user?.password !== password) return Promise.reject(refusal({ non_field_errors: ["Unable to log in with provided credentials."] }, username));
    return Promise.resolve(this.issue(user));
  }

  logout(baseUrl: string, token: string): Promise<"revoked" | "rejected"> {
    this.reach(baseUrl, "logout");
    const user = this.byToken(token);
    if (!user) return Promise.resolve("rejected");
    delete user.token;
    return Promise.resolve("revoked");
  }

  check(baseUrl: string, token: string): Promise<TokenCheck> {
    this.reach(baseUrl, "check");
    const user = this.byToken(token);
    if (!user) return Promise.resolve({ state: "rejected", detail: "Invalid token." });
    return Promise.resolve(this.hasMe ? { state: "accepted", account: { username: user.username, email: user.email } } : { state: "accepted" });
  }

  request(baseUrl: string, input: RawRequest): Promise<RawAnswer> {
    this.reach(baseUrl, `${input.method} ${input.path}`);
    this.requests.push({ ...input, baseUrl });
    return Promise.resolve(this.answers.get(`${input.method} ${input.path}`) ?? { status: 404, contentType: "application/json", body: '{"detail":"Not found."}' });
  }

  tokenOf(username: string): string | undefined {
    return this.users.get(username)?.token;
  }

  private byToken(token: string): FakeUser | undefined {
    return [...this.users.values()].find((user) => user.token === token);
  }
}

/** A keychain in memory; `broken` makes every call fail as a locked or hung one does. */
export class MemoryKeychain implements Keychain {
  readonly entries = new Map<string, string>();
  broken?: string;

  private key(service: string, account: string): string {
    return JSON.stringify([service, account]);
  }

  private ensureWorking(): void {
    if (this.broken !== undefined) throw new KeychainUnavailable(this.broken);
  }

  get(service: string, account: string): Promise<string | undefined> {
    this.ensureWorking();
    return Promise.resolve(this.entries.get(this.key(service, account)));
  }

  set(service: string, account: string, secret: string): Promise<void> {
    this.ensureWorking();
    this.entries.set(this.key(service, account), secret);
    return Promise.resolve();
  }

  delete(service: string, account: string): Promise<boolean> {
    this.ensureWorking();
    return Promise.resolve(this.entries.delete(this.key(service, account)));
  }
}

/** Answers prompts from a script, in order, and records every question. */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  readonly choices: Choice[][] = [];

  constructor(private readonly answers: string[] = []) {}

  private next(message: string, flag: string): Promise<string> {
    this.asked.push(message);
    const answer = this.answers.shift();
    if (answer === undefined) return Promise.reject(new Error(`unexpected prompt "${message}" (${flag})`));
    return Promise.resolve(answer);
  }

  text(message: string, flag: string): Promise<string> {
    return this.next(message, flag);
  }

  secret(message: string, flag: string): Promise<string> {
    return this.next(message, flag);
  }

  choose(message: string, choices: Choice[], flag: string): Promise<string> {
    this.choices.push(choices);
    return this.next(message, flag);
  }
}

class Capture extends Writable {
  text = "";
  isTTY = false;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString("utf8");
    done();
  }
}

export interface FakeSetup {
  api?: FakeApi;
  keychain?: MemoryKeychain;
  answers?: string[];
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  json?: boolean;
  /** A config dir to share between runs (a fresh one otherwise). */
  dir?: string;
}

export interface FakeRun {
  ctx: Context;
  api: FakeApi;
  keychain: MemoryKeychain;
  prompter: ScriptedPrompter;
  stdout: () => string;
  stderr: () => string;
}

/** A Context over fakes and a real config dir: gh's Factory filled with stubs. */
export function fakeContext(setup: FakeSetup & { dir: string }): FakeRun {
  const api = setup.api ?? new FakeApi();
  const keychain = setup.keychain ?? new MemoryKeychain();
  const prompter = new ScriptedPrompter(setup.answers);
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = setup.stdin === undefined;
  stdin.end(setup.stdin ?? "");
  const tokens = new TokenStore(new ConfigFile(join(setup.dir, "config.json")), keychain, new CredentialsFile(join(setup.dir, "credentials.json")));
  const ctx: Context = { api, tokens, prompter, out: new Output({ stdout, stderr }, setup.json === true), env: setup.env ?? {}, stdin };
  return { ctx, api, keychain, prompter, stdout: () => stdout.text, stderr: () => stderr.text };
}

/** A private config dir for in-process tests, removed by `remove`. */
export function fakeConfigDir() {
  return tempDir("authctl-fake-");
}
