import type { HashingGate } from "../../auth/hashing-gate.js";
import type { Hasher } from "../../auth/hasher.js";
import type { ResetTokens } from "../../auth/reset-tokens.js";
import type { TokenPolicy } from "../../auth/token-policy.js";
import type { TokenVault } from "../../auth/tokens.js";
import type { PasswordResetMail } from "../../mail/password-reset-mail.js";
import type { Store } from "../../store/store.js";
import type { AccountThrottles } from "../../throttle/account-throttles.js";
import type { PasswordPolicy } from "../../validation/password-rules.js";

export interface AccountDeps {
  store: Store;
  hasher: Hasher;
  tokens: TokenVault;
  tokenPolicy: TokenPolicy;
  /** The time (ms) tokens are created and expire by. */
  clock: () => number;
  throttles: AccountThrottles;
  hashing: HashingGate;
  /** Django's AUTH_PASSWORD_VALIDATORS for the lifecycle endpoints. */
  passwordPolicy: PasswordPolicy;
  /** Whether registration applies `passwordPolicy` too (the seed's registration does not). */
  registerPasswordRules: boolean;
  resetTokens: ResetTokens;
  resetMail: PasswordResetMail;
}
