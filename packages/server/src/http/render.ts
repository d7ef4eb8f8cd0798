import type { Context } from "koa";
import { JSON_MEDIA_TYPE, type Accepted } from "./negotiation.js";

const LINE_SEPARATORS = /[\u2028\u2029]/;

/** Koa state the account views share. */
export interface ApiState {
  accepted?: Accepted;
}

/**
 * Writes a response the way DRF's JSONRenderer does: compact JSON (indented
 * when negotiated), `Content-Type: application/json` with no charset, and no
 * Content-Type at all when there is no body.
 */
export function render(ctx: Context, status: number, data?: unknown): void {
  if (data === undefined) {
    ctx.body = null;
    ctx.status = status;
    return;
  }
  const { indent } = (ctx.state as ApiState).accepted ?? {};
  const json = JSON.stringify(data, null, indent);
  // Python's json.dumps escapes these two line separators; JSON.stringify does not. Rare: test before copying.
  const text = LINE_SEPARATORS.test(json) ? json.replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029") : json;
  ctx.status = status;
  ctx.set("Content-Type", JSON_MEDIA_TYPE);
  ctx.body = text;
}
