import { z } from "zod";

const answerSchema = z.union([
  z.object({ ok: z.literal(true), value: z.union([z.string(), z.boolean(), z.null()]) }),
  z.object({ ok: z.literal(false), message: z.string() }),
]);

export type KeychainAnswer = z.infer<typeof answerSchema>;

/** What the keychain helper printed, if it is a whole, well-formed answer. */
export function parseAnswer(text: string): KeychainAnswer | undefined {
  try {
    const parsed = answerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
