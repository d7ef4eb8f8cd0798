import { assertSafeForPassword } from "../base-url.js";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { flagOf } from "../help.js";
import { readSecretFromStdin, readSecretLines } from "../stdin.js";
import { sanitizeLine } from "../text.js";
import { resolveUrl } from "./common.js";
import { askNewPassword } from "./credentials.js";

export interface PasswordResetOptions {
  url?: string;
  email?: string;
  /** The link from the reset mail; `-` reads it from stdin, or asks for it at a terminal. */
  link?: string;
  passwordStdin?: boolean;
  insecureHttp?: boolean;
}

/** What `--link - --password-stdin` reads, one a line. */
const LINK_STDIN = ["the reset link", "the new password"] as const;

const LINK_HINT = "paste the whole link from the mail (it ends in …/UID/TOKEN/), e.g. at the prompt of --link -";

/**
 * Without --link: asks the server (dj-rest-auth's `password/reset/`) to mail
 * a reset link. With --link: sets the new password with the uid and token at
 * the end of that link's path (`password/reset/confirm/`).
 */
export async function runPasswordReset(options: PasswordResetOptions, ctx: Context): Promise<void> {
  if (options.link === undefined) {
    const linkOnly = (["passwordStdin", "insecureHttp"] as const).find((key) => options[key] !== undefined);
    if (linkOnly) throw new UsageError(`${flagOf(linkOnly)} only applies with --link`);
    return requestMail(options, ctx);
  }
  if (options.email !== undefined) throw new UsageError("give --email to ask for the mail, or --link to use it, not both");
  return setWithLink(options.link, options, ctx);
}

async function requestMail(options: PasswordResetOptions, ctx: Context): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  ctx.out.info(`Asking ${url} for a password reset mail`);
  await ctx.api.offers(url, "passwordReset");
  const email = (options.email ?? (await ctx.prompter.text("Email", "--email"))).trim();
  const detail = await ctx.api.requestPasswordReset(url, email);
  ctx.out.success(`Asked ${url} to mail a password reset link to ${sanitizeLine(email)}`);
  ctx.out.info(
    `The server answers the same whether or not an account has this address. With the link from the mail: authctl password reset --url ${url} --link -`,
  );
  ctx.out.result({ url, email, detail });
}

async function setWithLink(given: string, options: PasswordResetOptions, ctx: Context): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  const fromStdin = given === "-";
  if (!fromStdin) {
    ctx.out.warn(
      "a reset link given as an argument can be read by other users of this machine in the process list, and stays in the shell's history; use --link - to paste it at a prompt or pipe it on stdin",
    );
  }
  await assertSafeForPassword(url, options.insecureHttp === true);
  const piped = await readPiped(fromStdin, options.passwordStdin === true, ctx);
  ctx.out.info(`Setting a new password at ${url}`);
  await ctx.api.offers(url, "passwordResetConfirm");
  const link = piped.link ?? (fromStdin ? await ctx.prompter.secret("Reset link (from the mail)", "--link -") : given);
  const { uid, token } = parseResetLink(link);
  const [newPassword, newPasswordAgain] =
    piped.password === undefined ? await askNewPassword(ctx, "New password") : [piped.password, piped.password];
  const detail = await ctx.api.confirmPasswordReset(url, { uid, token, newPassword, newPasswordAgain });
  ctx.out.success(`Set the new password at ${url}; the link is spent`);
  ctx.out.info(`Log in with it: authctl login --url ${url}`);
  ctx.out.result({ url, detail });
}

/** Whatever comes on stdin: the link and the password (one a line), either one, or nothing (a terminal). */
async function readPiped(linkFromStdin: boolean, passwordStdin: boolean, ctx: Context): Promise<{ link?: string; password?: string }> {
  if (linkFromStdin && passwordStdin) {
    const example = `printf '%s\\n' "$LINK" "$NEW" | authctl password reset --link - --password-stdin`;
    const [link, password] = await readSecretLines(ctx.stdin, LINK_STDIN, "--link - --password-stdin", example);
    return { link, password };
  }
  if (passwordStdin) return { password: await readSecretFromStdin(ctx.stdin, { command: "authctl password reset --link URL" }) };
  if (linkFromStdin && !ctx.stdin.isTTY)
    return { link: await readSecretFromStdin(ctx.stdin, { flag: "--link -", what: "reset link", command: "authctl password reset" }) };
  return {};
}

/**
 * The uid and token at the end of a reset link's path (`…/{uid}/{token}/`),
 * taken as pasted: outer spaces or angle brackets, with or without the final
 * slash, a query or a fragment. The link is a secret: errors never quote it.
 */
export function parseResetLink(text: string): { uid: string; token: string } {
  const pasted = text.trim().replace(/^<(.*)>$/s, "$1");
  let path: string;
  try {
    path = new URL(pasted).pathname;
  } catch {
    throw new UsageError("the reset link is not a URL", LINK_HINT);
  }
  const [uid, token] = path
    .split("/")
    .filter((part) => part !== "")
    .slice(-2);
  const segment = /^[A-Za-z0-9_-]+$/;
  if (uid === undefined || token === undefined || !segment.test(uid) || !segment.test(token)) {
    throw new UsageError("the reset link does not end in …/UID/TOKEN/ as a reset link does", LINK_HINT);
  }
  return { uid, token };
}
