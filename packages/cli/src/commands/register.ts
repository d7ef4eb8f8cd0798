import type { Context } from "../context.js";
import { sanitizeLine } from "../text.js";
import { importAccountFields } from "../server-package.js";
import { resolveUrl } from "./common.js";
import { askNewPassword, deliverToken, prepare, type CredentialOptions } from "./credentials.js";

export interface RegisterOptions extends CredentialOptions {
  email?: string;
}

/**
 * Creates an account and keeps its token. A typed username and email are
 * checked as typed, by the server's own rules (all but uniqueness) when the
 * server package is installed here (else the server's answer says). A
 * prompted password is asked twice and both answers go to the server, as the
 * API's `password` and `password2`.
 */
export async function runRegister(options: RegisterOptions, ctx: Context): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  const piped = await prepare(ctx, url, options, "Registering at");
  const fields = await importAccountFields();
  const username =
    options.username ??
    (await ctx.prompter.text("Username", "--username", fields && { check: (value) => fields.firstProblem(fields.usernameField(), value) }));
  const email =
    options.email ??
    (await ctx.prompter.text(
      "Email",
      "--email",
      fields && { check: (value) => fields.firstProblem(fields.registrationEmailField(), value) },
    ));
  const [password, password2] = piped === undefined ? await askNewPassword(ctx) : [piped, piped];
  const account = await ctx.api.register(url, { username, email, password, password2 });
  const name = sanitizeLine(account.username);
  await deliverToken(ctx, { url, ...account }, options, `Registered ${name} at ${url}`);
}
