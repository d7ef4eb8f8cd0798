import { encodeUid, type ResetTokens } from "../auth/reset-tokens.js";
import type { Logger } from "../logger.js";
import type { Store, UserRecord } from "../store/store.js";
import { describeMailError, type MailMessage, type Mailer } from "./mailer.js";

/** The path of the reset page and of Django's `password_reset_confirm` URL, before `{uid}/{token}/`. */
export const RESET_PAGE_PATH = "/account/password/reset/confirm/";

export interface ResetLinkSettings {
  /** Where the server is reached (`https://auth.example.com`); the request's host over http when unset. */
  publicUrl: string | undefined;
  /** A page elsewhere, with `{uid}` and `{token}` in it (`https://app.example.com/reset/{uid}/{token}`). */
  linkTemplate: string | undefined;
}

/**
 * Django's `get_host()` check: a name, IPv4 address or bracketed IPv6
 * address, with an optional port. A request with any other Host gets no mail
 * (Django answers it 400 before the view runs).
 */
const VALID_HOST = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:\d+)?$/;

/**
 * Django's PasswordResetForm.save with its default templates: one message to
 * each active user with that address and a usable password, with a link of
 * Django's form, sent by `mailer`. Failures are logged with the user's id,
 * never the address or the link, and thrown only to `sendTo`'s caller.
 */
export class PasswordResetMail {
  constructor(
    private readonly store: Store,
    private readonly tokens: ResetTokens,
    private readonly mailer: Mailer | undefined,
    private readonly link: ResetLinkSettings,
    private readonly log: Logger,
  ) {}

  /** For `password/reset/`, after the answer: never throws; failures are logged. */
  async requested(email: string, requestHost: string | undefined): Promise<void> {
    if (!this.mailer) return;
    let user: UserRecord | undefined;
    try {
      user = await this.store.findActiveUserByEmail(email);
    } catch (error) {
      this.log.error(`password reset mail not sent: the user could not be looked up (${(error as Error).name})`);
      return;
    }
    if (!user || !usablePassword(user)) return;
    const host = requestHost?.toLowerCase();
    if (this.link.publicUrl === undefined && (host === undefined || !VALID_HOST.test(host))) {
      this.log.error(`password reset mail for user ${user.id} not sent: the request's Host is not a valid host name`);
      return;
    }
    await this.sendTo(user, host ?? "").catch(() => undefined);
  }

  /** Sends the mail to `user` now; rejects when it cannot be sent, and logs that. */
  async sendTo(user: UserRecord, requestHost: string): Promise<void> {
    if (!this.mailer) throw new Error("reset mail is disabled: AUTHCTL_SMTP_URL is not set");
    try {
      await this.mailer.send(this.message(user, requestHost));
    } catch (error) {
      this.log.error(`password reset mail for user ${user.id} could not be sent: ${describeMailError(error)}`);
      throw new Error(`the reset mail could not be sent: ${describeMailError(error)}`);
    }
  }

  private message(user: UserRecord, requestHost: string): MailMessage {
    const { publicUrl, linkTemplate } = this.link;
    const base = publicUrl === undefined ? `http://${requestHost}` : publicUrl.replace(/\/+$/, "");
    const domain = publicUrl === undefined ? requestHost : new URL(publicUrl).host;
    const uid = encodeUid(user.id);
    const token = this.tokens.make(user);
    const link =
      linkTemplate === undefined
        ? `${base}${RESET_PAGE_PATH}${uid}/${token}/`
        : linkTemplate.replace("{uid}", uid).replace("{token}", token);
    return { to: user.email, subject: `Password reset on ${domain}`, text: resetText(domain, link, user.username) };
  }
}

/** Django's unusable passwords start with "!". */
const usablePassword = (user: UserRecord) => !user.passwordHash.startsWith("!");

/** `registration/password_reset_email.html` of Django 3.2, rendered. */
function resetText(domain: string, link: string, username: string): string {
  return `
You're receiving this email because you requested a password reset for your user account at ${domain}.

Please go to the following page and choose a new password:

${link}

Your username, in case you\u2019ve forgotten: ${username}

Thanks for using our site!

The ${domain} team

`;
}
