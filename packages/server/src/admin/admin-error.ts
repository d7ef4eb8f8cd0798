/** An administration request that cannot be done as asked (unknown user, name taken, bad input); `kind` picks the CLI's exit code. */
export class AdminError extends Error {
  constructor(
    message: string,
    readonly kind: "refused" | "usage" = "refused",
    readonly hint?: string,
  ) {
    super(message);
    this.name = "AdminError";
  }
}
