import { drfTime } from "../../auth/token-policy.js";
import { NotFound } from "../../errors.js";
import type { ViewSpec } from "../../http/api-view.js";
import type { TokenRecord } from "../../store/store.js";
import type { AccountDeps } from "./deps.js";

const time = (iso: string | null) => (iso === null ? null : drfTime(iso));

/** One token as its owner sees it: never its key or digest. */
function describe(token: TokenRecord, current: TokenRecord | undefined) {
  return {
    id: token.id,
    name: token.name,
    created: time(token.created),
    expiry: time(token.expiry),
    last_used: time(token.lastUsed),
    current: token.id === current?.id,
  };
}

/** `GET /account/tokens/` (our addition): the user's live tokens, one per device in knox's model, oldest first. */
export function tokensView({ store, clock }: AccountDeps): ViewSpec {
  return {
    name: "Token List",
    parsers: ["json", "form", "multipart"],
    requireAuth: true,
    handlers: {
      GET: async ({ user, token }) => {
        const live = user ? await store.listTokens(user.id, new Date(clock()).toISOString()) : [];
        return { status: 200, body: live.map((each) => describe(each, token)) };
      },
    },
  };
}

/** A token id as the path gives it: digits only, within the ids the databases make. */
const TOKEN_ID = /^[1-9][0-9]{0,9}$/;

/** `DELETE /account/tokens/<id>/` (our addition): ends one of the user's tokens (one device); 204, or 404 when the user has no such token. */
export function tokenView({ store }: AccountDeps): ViewSpec {
  return {
    name: "Token Instance",
    parsers: ["json", "form", "multipart"],
    requireAuth: true,
    handlers: {
      DELETE: async ({ user, params }) => {
        const raw = params.id ?? "";
        const id = TOKEN_ID.test(raw) ? Number(raw) : NaN;
        if (!user || !(id <= 2 ** 31 - 1) || !(await store.deleteTokenById(user.id, id))) throw new NotFound();
        return { status: 204 };
      },
    },
  };
}
