import type { Context } from "../../context.js";
import { readSecretFromStdin } from "../../stdin.js";
import { withTarget, type AdminOptions } from "./common.js";

export interface RotateKeyOptions extends AdminOptions {
  newKeyStdin?: boolean;
}

/** `authctl admin rotate-key`: re-seals every token under a new server key; no token changes value. */
export async function runRotateKey(options: RotateKeyOptions, ctx: Context): Promise<void> {
  const text = options.newKeyStdin ? await readSecretFromStdin(ctx.stdin, { flag: "--new-key-stdin", what: "new key", command: "authctl admin rotate-key" }) : undefined;
  const summary = await withTarget(ctx, options, async (target, server) => {
    const key = text === undefined ? undefined : server.admin.parseKey(text);
    return server.admin.rotateKey(target, key);
  });
  const where = summary.keyWrittenTo ?? "AUTHCTL_SECRET_KEY (set it to the new key before restarting the servers)";
  ctx.out.success(`Re-sealed ${summary.resealed} tokens under the new key in ${where}; restart every server now`);
  if (summary.unopenable > 0) ctx.out.warn(`${summary.unopenable} tokens could not be opened with the old key and were left as they were`);
  ctx.out.result(summary);
}
