import { BcryptSha256Hasher } from "../auth/hasher.js";
import { ResetTokens } from "../auth/reset-tokens.js";
import { silentLogger } from "../logger.js";
import { redactSmtpUrl, smtpMailer } from "../mail/mailer.js";
import { PasswordResetMail } from "../mail/password-reset-mail.js";
import { AccountStore } from "../store/account-store.js";
import { deleteTokens, insertUser, setActive, setPasswordHash, userByEmail, userByUsername, usersInPages } from "../store/queries.js";
import type { UserRecord } from "../store/store.js";
import { isValidEmail } from "../validation/email.js";
import { isValidUsername } from "../validation/fields.js";
import { pyLen } from "../validation/python.js";
import { AdminError } from "./admin-error.js";
import type { AdminTarget } from "./open-admin.js";

/** A user as listings show it: never the password hash. */
export interface ListedUser {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  dateJoined: string;
  firstName: string;
  lastName: string;
  /** When Django last recorded a login (token logins record none), or null. */
  lastLogin: string | null;
  /** Whether the password can log in at all (Django's unusable passwords start with "!"). */
  usablePassword: boolean;
}

/** Django's username rule (UnicodeUsernameValidator) and its max_length of 150 characters. */
const isDjangoUsername = (username: string) => isValidUsername(username) && pyLen(username) <= 150;

const hasherFor = (target: AdminTarget) => new BcryptSha256Hasher(target.config.bcryptCost);

/** manage.py createsuperuser: a user without a token (the first login makes one). */
export async function createUser(
  target: AdminTarget,
  user: { username: string; email: string; password: string; isStaff: boolean; isSuperuser: boolean },
): Promise<ListedUser> {
  if (!isDjangoUsername(user.username)) {
    throw new AdminError("a username has 1 to 150 letters, digits and @/./+/-/_ only", "usage");
  }
  if (!isValidEmail(user.email)) throw new AdminError(`"${user.email}" is not a valid email address`, "usage");
  // Named fields, never a spread of `user`: the plain password must not reach the record or the answer.
  const record = {
    username: user.username,
    email: user.email,
    isStaff: user.isStaff,
    isSuperuser: user.isSuperuser,
    passwordHash: await hasherFor(target).hash(user.password),
    isActive: true,
    dateJoined: new Date().toISOString(),
    firstName: "",
    lastName: "",
    lastLogin: null,
  };
  const id = await target.db.transaction(async (tx) => {
    if (await userByUsername(tx, user.username)) throw new AdminError(`a user named ${user.username} already exists`);
    const owner = await userByEmail(tx, user.email);
    if (owner) throw new AdminError(`${user.email} is already the email of ${owner.username}`);
    return insertUser(tx, record);
  });
  return listed({ id, ...record });
}

export async function changePassword(target: AdminTarget, username: string, password: string): Promise<void> {
  const passwordHash = await hasherFor(target).hash(password);
  await target.db.transaction(async (tx) => {
    const user = await userByUsername(tx, username);
    if (!user) throw noSuchUser(username);
    await setPasswordHash(tx, user.id, passwordHash);
  });
}

/** Sets is_active; false when the user already had that state. Tokens stay, but an inactive user's token is refused. */
export async function changeActive(target: AdminTarget, username: string, active: boolean): Promise<boolean> {
  return target.db.transaction(async (tx) => {
    const user = await userByUsername(tx, username);
    if (!user) throw noSuchUser(username);
    return setActive(tx, user.id, active);
  });
}

/** Deletes one user's token, or every token; the number deleted. */
export async function revokeTokens(target: AdminTarget, username: string | undefined): Promise<number> {
  return target.db.transaction(async (tx) => {
    if (username === undefined) return deleteTokens(tx, undefined);
    const user = await userByUsername(tx, username);
    if (!user) throw noSuchUser(username);
    return deleteTokens(tx, user.id);
  });
}

/** Every user in id order, read page by page. */
export async function* listUsers(target: AdminTarget): AsyncGenerator<ListedUser> {
  for await (const user of usersInPages(target.db)) yield listed(user);
}

/** Field by field: whatever else a record carries stays out of listings. */
function listed(user: UserRecord): ListedUser {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    isActive: user.isActive,
    isStaff: user.isStaff,
    isSuperuser: user.isSuperuser,
    dateJoined: user.dateJoined,
    firstName: user.firstName,
    lastName: user.lastName,
    lastLogin: user.lastLogin,
    usablePassword: !user.passwordHash.startsWith("!"),
  };
}

/**
 * Mails `username` a password reset link, the mail `password/reset/` sends:
 * AUTHCTL_SMTP_URL and AUTHCTL_MAIL_FROM say how, AUTHCTL_PUBLIC_URL (or
 * AUTHCTL_RESET_LINK) where the link points, as a server with these
 * settings would; there is no request to take the host from.
 */
export async function sendReset(target: AdminTarget, username: string): Promise<{ username: string; email: string }> {
  const settings = target.config;
  if (settings.smtpUrl === undefined) throw new AdminError("reset mail needs AUTHCTL_SMTP_URL (smtp:// or smtps://)", "usage");
  if (settings.resetLink.publicUrl === undefined) {
    throw new AdminError(
      "the reset link needs AUTHCTL_PUBLIC_URL, the address users reach the server at (e.g. https://auth.example.com)",
      "usage",
    );
  }
  const user = await userByUsername(target.db, username);
  if (!user) throw noSuchUser(username);
  if (!user.isActive) throw new AdminError(`${username} is inactive: activate them first (authctl admin activate ${username})`);
  if (user.email === "") throw new AdminError(`${username} has no email address`);
  const mailer = smtpMailer(settings.smtpUrl, settings.mailFrom);
  try {
    const tokens = new ResetTokens(await target.resetSecret(), settings.resetTimeoutSeconds);
    const mail = new PasswordResetMail(new AccountStore(target.db), tokens, mailer, settings.resetLink, silentLogger);
    await mail.sendTo(user, "").catch((error: unknown) => {
      throw new AdminError(`${(error as Error).message} (via ${redactSmtpUrl(settings.smtpUrl ?? "")})`);
    });
  } finally {
    mailer.close();
  }
  return { username, email: user.email };
}

function noSuchUser(username: string): AdminError {
  return new AdminError(`no user named ${username}`, "refused", "list them with: authctl admin list-users");
}
