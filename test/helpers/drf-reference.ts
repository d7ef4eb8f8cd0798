import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./ports.js";
import { tempDir } from "./temp.js";

// The DRF reference (real Django + DRF, and dj-rest-auth for the account lifecycle)
// lives beside the repository, as the bench finds it; it is not part of the repository.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REFERENCE = process.env.DRF_REFERENCE ?? join(ROOT, "..", "shared", "reference", "drf");
const START = join(REFERENCE, "start.sh");

/** Why the plain reference (DRF's authtoken, no dj-rest-auth) cannot run here, or false when it can. */
export function referenceSkipReason(): string | false {
  if (!existsSync(START)) return `no DRF reference at ${REFERENCE} (set DRF_REFERENCE to the directory holding its start.sh)`;
  const python = spawnSync("/usr/bin/python3", ["-c", "import django, rest_framework"]);
  if (python.status !== 0) return "the DRF reference needs Debian's python3-django and python3-djangorestframework";
  return false;
}

/** Why the reference with dj-rest-auth cannot run here, or false when it can. */
export function lifecycleReferenceSkipReason(): string | false {
  const plain = referenceSkipReason();
  if (plain) return plain;
  if (DJ_REST_AUTH === undefined)
    return "no dj-rest-auth: set DJ_REST_AUTH_PATH to a directory holding dj-rest-auth 5.0.2's dj_rest_auth package (see the reference's server.py)";
  return false;
}

/** DJ_REST_AUTH_PATH, else the directory python3 imports dj_rest_auth from (pip-installed). */
const DJ_REST_AUTH = ((): string | undefined => {
  const given = process.env.DJ_REST_AUTH_PATH;
  if (given) return existsSync(join(given, "dj_rest_auth", "views.py")) ? given : undefined;
  const found = spawnSync(
    "/usr/bin/python3",
    ["-c", "import dj_rest_auth, os; print(os.path.dirname(os.path.dirname(dj_rest_auth.__file__)))"],
    { encoding: "utf8" },
  );
  return found.status === 0 ? found.stdout.trim() : undefined;
})();

export interface Reference {
  url: string;
  close(): Promise<void>;
}

/** Starts the reference on a free port with a fresh database; with `lifecycle`, dj-rest-auth's endpoints too, mailing to `emailPort`. */
export async function startReference({ lifecycle, emailPort }: { lifecycle: boolean; emailPort?: number }): Promise<Reference> {
  const dir = await tempDir("drf-reference-");
  const env: Record<string, string | undefined> = {
    ...process.env,
    DRF_DB_DIR: dir.path,
    DRF_EMAIL_PORT: emailPort === undefined ? undefined : String(emailPort),
    DJ_REST_AUTH_PATH: lifecycle ? DJ_REST_AUTH : undefined,
  };
  const port = await freePort();
  const child = spawn(START, [String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the DRF reference did not start within 60s:\n${output}`));
      }, 60_000);
      child.stdout.on("data", () => {
        if (!output.includes("DRF reference listening on")) return;
        clearTimeout(timer);
        resolve();
      });
      child.once("exit", () => {
        clearTimeout(timer);
        reject(new Error(`the DRF reference exited:\n${output}`));
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    await dir.remove();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await once(child, "close");
      }
      await dir.remove();
    },
  };
}
