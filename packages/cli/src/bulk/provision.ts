import { randomBytes } from "node:crypto";
import type { Answer, Transport } from "../api-client.js";
import { CliError, ServerUnreachable } from "../errors.js";
import { describeRefusal, USERNAME_TAKEN } from "../refusals.js";
import type { PendingEntry, ReportEntry } from "./report.js";
import { sendWithRetries, type Pacer, type RetryPolicy } from "./retry.js";
import type { Row } from "./rows.js";

const EMAIL_TAKEN = "Email already exists!";
/** Said of a row whose username is taken by an account its password does not log in to. */
export const NOT_LOGGING_IN = "The password in the input does not log in to it";

/** The report, as a row's provisioning uses it. */
export interface PasswordLog {
  /** The generated password an earlier run wrote down for this row: used again, never replaced. */
  passwordFor(row: Row): string | undefined;
  /** Resolves once the pending entry, with its password, is on disk: only then may the password be sent. */
  writePending(entry: PendingEntry): Promise<void>;
}

export interface ProvisionDeps {
  transport: Transport;
  url: string;
  pacer: Pacer;
  retry: RetryPolicy;
  report: PasswordLog;
  generatePassword?: () => string;
}

/** A finished row, and the error that should stop the whole run (server gone, wrong URL), if any. */
export interface Provisioned {
  entry: ReportEntry;
  fatal?: CliError;
}

/** 24 URL-safe characters from 18 random bytes (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

/** What every entry of a row starts with; `password` (only when generated) is spread last. */
type Base = Pick<ReportEntry, "line" | "username">;
type Extra = { password?: string };

/** Registers one row; an existing username is `exists`, with the token when the row's password logs in. */
export async function provisionRow(row: Row, deps: ProvisionDeps): Promise<Provisioned> {
  const base = { line: row.line, username: row.username ?? null };
  // A password an earlier run generated for this row and may have sent: used again, never replaced.
  const earlier = row.password === undefined ? deps.report.passwordFor(row) : undefined;
  if (row.problem !== undefined || row.username === undefined || row.email === undefined) {
    // Not sent; the row keeps the password an earlier run may have made its account with.
    return {
      entry: {
        ...base,
        outcome: "failed",
        status: null,
        error: row.problem ?? "incomplete row",
        ...(earlier === undefined ? {} : { password: earlier }),
      },
    };
  }
  const generated = row.password === undefined ? (earlier ?? (deps.generatePassword ?? generatePassword)()) : undefined;
  if (generated !== undefined)
    await deps.report.writePending({
      line: row.line,
      username: row.username,
      outcome: "pending",
      status: null,
      error: null,
      password: generated,
    });
  const password = row.password ?? generated ?? "";
  const extra: Extra = generated === undefined ? {} : { password: generated };
  const body = { username: row.username, email: row.email, password, password2: password };
  const sent = await sendWithRetries(deps.transport, deps.url, "/account/register/", body, deps.pacer, deps.retry);
  if ("unreachable" in sent) return unreachable(base, sent.unreachable, extra);
  const { answer } = sent;
  const refusal = { email: row.email, extra };
  if (answer.status === 201) {
    const token = stringField(answer.body, "token");
    if (token !== undefined) return { entry: { ...base, outcome: "created", status: 201, error: null, token, ...extra } };
    return { entry: { ...base, outcome: "failed", status: 201, error: "the server said 201 but sent no token", ...extra } };
  }
  if (answer.status === 400 && mayBeThisRows(answer.body, sent.ambiguous, earlier !== undefined)) {
    // An earlier try (no answer, or a 5xx) or an earlier run (its pending password) may
    // have made the account: if the password logs in, the account is this row's.
    const ours = await logIn(base, row.username, password, "created", refusal, deps);
    // Anything but "that password does not log in" (a 5xx, no answer) leaves the row in doubt: failed, password kept.
    if (ours.fatal || ours.entry.outcome !== "failed" || ours.entry.status !== 400) return ours;
    if (onlyUsernameTaken(answer.body))
      return generated === undefined ? ours : { entry: { ...base, outcome: "exists", status: 400, error: null, ...extra } };
  }
  if (answer.status === 400 && onlyUsernameTaken(answer.body)) {
    // Someone else's account, or one an earlier run made: a generated password cannot log in to it.
    if (generated !== undefined) return { entry: { ...base, outcome: "exists", status: 400, error: null, ...extra } };
    return logIn(base, row.username, password, "exists", refusal, deps);
  }
  return refused(base, "/account/register/", answer, deps.url, refusal);
}

/** What an entry of a refused row carries: the email it was sent with, and its generated password. */
interface Refusal {
  email: string;
  extra: Extra;
}

async function logIn(
  base: Base,
  username: string,
  password: string,
  outcome: "created" | "exists",
  refusal: Refusal,
  deps: ProvisionDeps,
): Promise<Provisioned> {
  const { extra } = refusal;
  const sent = await sendWithRetries(deps.transport, deps.url, "/account/login/", { username, password }, deps.pacer, deps.retry);
  if ("unreachable" in sent) return unreachable(base, sent.unreachable, extra);
  const token = sent.answer.status === 200 ? stringField(sent.answer.body, "token") : undefined;
  if (token !== undefined) return { entry: { ...base, outcome, status: 200, error: null, token, ...extra } };
  if (sent.answer.status === 400) {
    const why = typeof sent.answer.body === "object" && sent.answer.body !== null ? describeRefusal(sent.answer.body) : "refused";
    return {
      entry: {
        ...base,
        outcome: "failed",
        status: 400,
        error: `${USERNAME_TAKEN} ${NOT_LOGGING_IN}: ${why}`,
        email: refusal.email,
        ...extra,
      },
    };
  }
  return refused(base, "/account/login/", sent.answer, deps.url, refusal);
}

function refused(base: Base, path: string, answer: Answer, url: string, { email, extra }: Refusal): Provisioned {
  const { status, body } = answer;
  if (status === 400 && typeof body === "object" && body !== null)
    return { entry: { ...base, outcome: "failed", status, error: describeRefusal(body), email, ...extra } };
  const detail = stringField(body, "detail");
  const error = `HTTP ${status}${detail === undefined ? "" : ` (${detail})`}`;
  const entry: ReportEntry = { ...base, outcome: "failed", status, error, ...extra };
  // Not this API at all: every other row would fail the same way.
  if ([401, 403, 404, 405].includes(status)) {
    return {
      entry,
      fatal: new ServerUnreachable(`unexpected answer from ${url}${path}: ${error}`, "check that --url is the base URL of the account API"),
    };
  }
  return { entry };
}

function unreachable(base: Base, error: ServerUnreachable, extra: Extra): Provisioned {
  return { entry: { ...base, outcome: "failed", status: null, error: error.message, ...extra }, fatal: error };
}

function mayBeThisRows(body: unknown, ambiguous: boolean, sentBefore: boolean): boolean {
  if (ambiguous) return onlyUsernameTaken(body) || emailTaken(body);
  return sentBefore && onlyUsernameTaken(body);
}

function onlyUsernameTaken(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const { username, ...others } = body as Record<string, unknown>;
  return Object.keys(others).length === 0 && Array.isArray(username) && username.includes(USERNAME_TAKEN);
}

function emailTaken(body: unknown): boolean {
  return stringField(body, "error") === EMAIL_TAKEN;
}

function stringField(body: unknown, key: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}
