import { join } from "node:path";
import { createApi, type Api, type ApiOptions } from "./api-client.js";
import { ConfigFile, configDir } from "./config-file.js";
import { UsageError } from "./errors.js";
import { createOutput, type Output, type OutputStreams } from "./output.js";
import { terminalPrompter, type Prompter } from "./prompter.js";
import { CredentialsFile } from "./secrets/credentials-file.js";
import { OsKeychain, type Keychain } from "./secrets/keychain.js";
import { TokenStore } from "./secrets/token-store.js";
import { VERSION } from "./version.js";

/** Everything a command may touch, built once per run; tests build their own. */
export interface Context {
  api: Api;
  tokens: TokenStore;
  prompter: Prompter;
  out: Output;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** The process's streams and environment; `stdin` is read only when a command uses it (see main.ts), never copied. */
export interface ContextIo extends OutputStreams {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface ContextSettings {
  json: boolean;
  color: boolean;
  keychain?: Keychain;
}

export async function createContext(io: ContextIo, settings: ContextSettings): Promise<Context> {
  const { env } = io;
  const dir = configDir(env);
  const keychain = settings.keychain ?? new OsKeychain(seconds(env, "AUTHCTL_KEYCHAIN_TIMEOUT", 5) * 1000, env);
  return {
    api: createApi(apiOptions(env)),
    tokens: new TokenStore(new ConfigFile(join(dir, "config.json")), keychain, new CredentialsFile(join(dir, "credentials.json"))),
    prompter: terminalPrompter({
      get input() {
        return io.stdin;
      },
      output: io.stderr,
    }),
    out: await createOutput(io, settings.json, settings.color && !env.NO_COLOR),
    env,
    get stdin() {
      return io.stdin;
    },
  };
}

/** The HTTP client settings every command uses: `AUTHCTL_HTTP_TIMEOUT` and our user agent. */
export function apiOptions(env: NodeJS.ProcessEnv): ApiOptions {
  return { timeoutMs: seconds(env, "AUTHCTL_HTTP_TIMEOUT", 10) * 1000, userAgent: `authctl/${VERSION}` };
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new UsageError(`${name} must be a positive number of seconds, got "${raw}"`);
  return value;
}
