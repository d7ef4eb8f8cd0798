import type { HashingGate } from "../../auth/hashing-gate.js";
import type { Hasher } from "../../auth/hasher.js";
import type { TokenVault } from "../../auth/tokens.js";
import type { Store } from "../../store/store.js";
import type { AccountThrottles } from "../../throttle/account-throttles.js";

export interface AccountDeps {
  store: Store;
  hasher: Hasher;
  tokens: TokenVault;
  throttles: AccountThrottles;
  hashing: HashingGate;
}
