import type { Hasher } from "../../auth/hasher.js";
import type { TokenVault } from "../../auth/tokens.js";
import type { Store } from "../../store/store.js";

export interface AccountDeps {
  store: Store;
  hasher: Hasher;
  tokens: TokenVault;
}
