import { z } from "zod";

const fileSchema = z.object({
  version: z.literal(2),
  tokens: z.array(z.object({ service: z.string(), account: z.string(), token: z.string() })),
});
/** The first release's shape: { service: { account: token } }. */
const legacySchema = z.record(z.record(z.string())).transform((services) => ({
  version: 2 as const,
  tokens: Object.entries(services).flatMap(([service, accounts]) =>
    Object.entries(accounts).map(([account, token]) => ({ service, account, token })),
  ),
}));

/** Either shape on disk, read as the current one. */
export const credentialsSchema = z.union([fileSchema, legacySchema]);
