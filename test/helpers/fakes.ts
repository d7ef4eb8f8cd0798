import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import {
  LIFECYCLE,
  type Account,
  type Api,
  type Issued,
  type LifecycleEndpoint,
  type NewPassword,
  type RawAnswer,
  type RawRequest,
  type ServerToken,
  type TokenCheck,
  type UserChanges,
  type UserDetails,
} from "../../packages/cli/src/api-client.js";
import { ConfigFile } from "../../packages/cli/src/config-file.js";
import type { Context } from "../../packages/cli/src/context.js";
import { NotOffered, ServerUnreachable } from "../../packages/cli/src/errors.js";
import { Output } from "../../packages/cli/src/output.js";
import type { Choice, Prompter } from "../../packages/cli/src/prompter.js";
import { refusal } from "../../packages/cli/src/refusals.js";
import { CredentialsFile } from "../../packages/cli/src/secrets/credentials-file.js";
import { KeychainUnavailable, type Keychain } from "../../packages/cli/src/secrets/keychain.js";
import { TokenStore } from "../../packages/cli/src/secrets/token-store.js";
import { tempDir } from "./temp.js";

interface FakeUser extends Account {
  pk: number;
  password: string;
  firstName: string;
  lastName: string;
  token?: string;
}

/** A reset mail the fake "sent": the link's uid and token. */
export interface FakeMail {
  email: string;
  uid: string;
  token: string;
}

const TOO_SHORT = "This password is too short. It must contain at least 8 characters.";

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
  /** Whether dj-rest-auth's password/ and user/ endpoints exist (false: a plain DRF app). */
  hasLifecycle = true;
  /** Reset mails sent, newest last; a link is spent by its use or by any change of the password. */
  readonly mails: FakeMail[] = [];

  addUser(username: string, password = "pw"): FakeUser {
    return this.create(username, `${username}@example.com`, password);
  }

  private create(username: string, email: string, password: string): FakeUser {
    const user = { pk: this.users.size + 1, username, email, password, firstName: "", lastName: "" };
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

  register(baseUrl: string, input: Account & { password: string; password2: string }): Promise<Account & Issued> {
    this.reach(baseUrl, "register");
    if (input.password !== input.password2) return Promise.reject(refusal({ error: "P1 and P2 should be same!" }));
    if (this.users.has(input.username))
      return Promise.reject(refusal({ username: ["A user with that username already exists."] }, { username: input.username }));
    const user = this.create(input.username, input.email, input.password);
    return Promise.resolve({ username: user.username, email: user.email, token: this.issue(user) });
  }

  login(baseUrl: string, username: string, password: string): Promise<Issued> {
    this.reach(baseUrl, "login");
    const user = this.users.get(username);
    if (user?.password !== password)
      return Promise.reject(refusal({ non_field_errors: ["Unable to log in with provided credentials."] }, { username }));
    return Promise.resolve({ token: this.issue(user) });
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
    return Promise.resolve(
      this.hasMe ? { state: "accepted", account: { username: user.username, email: user.email } } : { state: "accepted" },
    );
  }

  /** Like DRF's authtoken, the fake keeps one token per user and has no per-device token endpoints. */
  tokens(baseUrl: string): Promise<ServerToken[]> {
    return Promise.reject(new NotOffered(`${baseUrl} does not offer per-device tokens: GET /account/tokens/ answered HTTP 404`));
  }

  revokeToken(baseUrl: string): Promise<void> {
    return Promise.reject(new NotOffered(`${baseUrl} does not offer per-device tokens: DELETE /account/tokens/ answered HTTP 404`));
  }

  logoutAll(baseUrl: string): Promise<void> {
    return Promise.reject(new NotOffered(`${baseUrl} does not offer per-device tokens: POST /account/logout/all/ answered HTTP 404`));
  }

  request(baseUrl: string, input: RawRequest): Promise<RawAnswer> {
    this.reach(baseUrl, `${input.method} ${input.path}`);
    this.requests.push({ ...input, baseUrl });
    return Promise.resolve(
      this.answers.get(`${input.method} ${input.path}`) ?? {
        status: 404,
        contentType: "application/json",
        body: '{"detail":"Not found."}',
      },
    );
  }

  offers(baseUrl: string, endpoint: LifecycleEndpoint, token?: string): Promise<void> {
    this.lifecycle(baseUrl, endpoint, "OPTIONS");
    if (token !== undefined) this.authenticated(baseUrl, token);
    return Promise.resolve();
  }

  changePassword(baseUrl: string, token: string, input: NewPassword & { oldPassword: string }): Promise<string> {
    this.lifecycle(baseUrl, "passwordChange", "POST");
    const user = this.authenticated(baseUrl, token);
    if (input.oldPassword !== user.password)
      throw refusal({ old_password: ["Your old password was entered incorrectly. Please enter it again."] }, { url: baseUrl });
    this.setPassword(user, input);
    return Promise.resolve("New password has been saved.");
  }

  requestPasswordReset(baseUrl: string, email: string): Promise<string> {
    this.lifecycle(baseUrl, "passwordReset", "POST");
    if (!email.includes("@")) throw refusal({ email: ["Enter a valid email address."] }, { url: baseUrl });
    const user = [...this.users.values()].find((candidate) => candidate.email.toLowerCase() === email.toLowerCase());
    if (user)
      this.mails.push({
        email: user.email,
        uid: Buffer.from(String(user.pk)).toString("base64url"),
        token: `${user.pk}-${randomBytes(16).toString("hex")}`,
      });
    return Promise.resolve("Password reset e-mail has been sent.");
  }

  confirmPasswordReset(baseUrl: string, input: NewPassword & { uid: string; token: string }): Promise<string> {
    this.lifecycle(baseUrl, "passwordResetConfirm", "POST");
    const mail = this.mails.find((sent) => sent.uid === input.uid);
    const user = [...this.users.values()].find((candidate) => candidate.email === mail?.email);
    if (!mail || !user) throw refusal({ uid: ["Invalid value"] }, { url: baseUrl });
    if (mail.token !== input.token) throw refusal({ token: ["Invalid value"] }, { url: baseUrl });
    this.setPassword(user, input);
    return Promise.resolve("Password has been reset with the new password.");
  }

  user(baseUrl: string, token: string): Promise<UserDetails> {
    this.lifecycle(baseUrl, "user", "GET");
    return Promise.resolve(this.details(this.authenticated(baseUrl, token)));
  }

  updateUser(baseUrl: string, token: string, changes: UserChanges): Promise<UserDetails> {
    this.lifecycle(baseUrl, "user", "PATCH");
    const user = this.authenticated(baseUrl, token);
    if (changes.username !== undefined && changes.username !== user.username) {
      if (this.users.has(changes.username)) throw refusal({ username: ["A user with that username already exists."] }, { url: baseUrl });
      this.users.delete(user.username);
      user.username = changes.username;
      this.users.set(user.username, user);
    }
    user.firstName = changes.firstName ?? user.firstName;
    user.lastName = changes.lastName ?? user.lastName;
    return Promise.resolve(this.details(user));
  }

  private lifecycle(baseUrl: string, endpoint: LifecycleEndpoint, method: string): void {
    this.reach(baseUrl, `${method} ${LIFECYCLE[endpoint].path}`);
    if (!this.hasLifecycle)
      throw new NotOffered(
        `${baseUrl} does not offer ${LIFECYCLE[endpoint].offers}: ${method} ${LIFECYCLE[endpoint].path} answered HTTP 404`,
      );
  }

  private authenticated(baseUrl: string, token: string): FakeUser {
    const user = this.byToken(token);
    if (!user) throw refusal({ detail: "Invalid token." }, { url: baseUrl });
    return user;
  }

  /** Django's rules, as far as the tests need them: the two must match, and be 8 characters or more. Spends every reset link. */
  private setPassword(user: FakeUser, { newPassword, newPasswordAgain }: NewPassword): void {
    if (newPassword !== newPasswordAgain) throw refusal({ new_password2: ["The two password fields didn’t match."] });
    if (newPassword.length < 8) throw refusal({ new_password2: [TOO_SHORT] });
    user.password = newPassword;
    for (const mail of this.mails) if (mail.email === user.email) mail.token = "spent";
  }

  private details(user: FakeUser): UserDetails {
    return { pk: user.pk, username: user.username, email: user.email, firstName: user.firstName, lastName: user.lastName };
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
  const tokens = new TokenStore(
    new ConfigFile(join(setup.dir, "config.json")),
    keychain,
    new CredentialsFile(join(setup.dir, "credentials.json")),
  );
  const ctx: Context = { api, tokens, prompter, out: new Output({ stdout, stderr }, setup.json === true), env: setup.env ?? {}, stdin };
  return { ctx, api, keychain, prompter, stdout: () => stdout.text, stderr: () => stderr.text };
}

/** A private config dir for in-process tests, removed by `remove`. */
export function fakeConfigDir() {
  return tempDir("authctl-fake-");
}
