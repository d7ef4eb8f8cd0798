import { z } from "zod";
import type { Config, ServerConfig } from "./config-file.js";

const storage = z.enum(["keychain", "file"]);

/** On disk: lists, never objects keyed by user input. */
const fileSchema = z.object({
  version: z.literal(2),
  current: z.string().optional(),
  servers: z.array(
    z.object({
      url: z.string(),
      active: z.string().optional(),
      lastUsed: z.number(),
      accounts: z.array(z.object({ username: z.string(), storage, expiry: z.string().optional() })),
    }),
  ),
});

export type ConfigOnDisk = z.infer<typeof fileSchema>;

/** The first release's shape, read and rewritten in the new one. */
const legacySchema = z.object({
  lastUrl: z.string().optional(),
  hosts: z.record(z.object({ active: z.string().optional(), users: z.record(z.object({ storage })) })),
});

/** Either shape on disk, read into the maps the CLI works with. */
export const configSchema = z.union([fileSchema.transform(fromFile), legacySchema.transform(fromLegacy)]);

function fromFile(data: ConfigOnDisk): Config {
  const servers = new Map<string, ServerConfig>();
  for (const server of data.servers) {
    const accounts = new Map(server.accounts.map(({ username, ...account }) => [username, account] as const));
    servers.set(server.url, { active: server.active, lastUsed: server.lastUsed, accounts });
  }
  return { current: data.current, servers };
}

function fromLegacy(data: z.infer<typeof legacySchema>): Config {
  const servers = new Map<string, ServerConfig>();
  for (const [url, host] of Object.entries(data.hosts)) {
    const accounts = new Map(Object.entries(host.users).map(([username, user]) => [username, { storage: user.storage }] as const));
    servers.set(url, { active: host.active, lastUsed: url === data.lastUrl ? 1 : 0, accounts });
  }
  return { current: data.lastUrl, servers };
}
