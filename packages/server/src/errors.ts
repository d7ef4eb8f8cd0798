/**
 * Typed API errors. Each carries the HTTP status and the body DRF would send;
 * the error middleware (http/error-handler.ts) is the only place that turns
 * them into responses.
 */
export type ErrorBody = Record<string, unknown>;

/**
 * An expected answer (4xx, 503), not a fault: it is built without capturing
 * a stack, which would cost more than the rest of a rejected request. Errors
 * that are not ApiErrors (the 500s) keep their stacks for the log.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  /** Extra response headers, such as `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, body: ErrorBody, headers: Readonly<Record<string, string>> = {}) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(typeof body.detail === "string" ? body.detail : `HTTP ${status}`);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.status = status;
    this.body = body;
    this.headers = headers;
    this.name = new.target.name;
  }
}

/** 400 with a serializer's errors, e.g. `{"username": ["This field is required."]}`. */
export class ValidationError extends ApiError {
  constructor(readonly errors: ErrorBody) {
    super(400, errors);
  }
}

export class ParseError extends ApiError {
  constructor(detail: string) {
    super(400, { detail });
  }
}

/** 400 for a form with more parts than Django accepts (its answer is a bare "Bad Request" page). */
export class TooManyFields extends ApiError {
  constructor(what: "fields" | "files", limit: number) {
    super(400, { detail: `Too many ${what} sent: at most ${limit} are accepted.` });
  }
}

/** The scheme of `Authorization: Token <key>`, which every 401 names in `WWW-Authenticate`, as DRF does. */
export const AUTH_KEYWORD = "Token";
const CHALLENGE = { "WWW-Authenticate": AUTH_KEYWORD } as const;

/** 401 raised by authentication itself: the client sent credentials that do not work. */
export class AuthenticationFailed extends ApiError {
  constructor(detail: string) {
    super(401, { detail }, CHALLENGE);
  }
}

/** 401 raised by a permission check: no credentials at all. */
export class NotAuthenticated extends ApiError {
  constructor() {
    super(401, { detail: "Authentication credentials were not provided." }, CHALLENGE);
  }
}

/** 403, knox's answer to a login past the per-user token limit. */
export class TokenLimitReached extends ApiError {
  constructor() {
    super(403, { error: "Maximum amount of tokens allowed per user exceeded." });
  }
}

export class NotFound extends ApiError {
  constructor() {
    super(404, { detail: "Not found." });
  }
}

export class MethodNotAllowed extends ApiError {
  constructor(method: string) {
    super(405, { detail: `Method "${method}" not allowed.` });
  }
}

export class NotAcceptable extends ApiError {
  constructor() {
    super(406, { detail: "Could not satisfy the request Accept header." });
  }
}

export class PayloadTooLarge extends ApiError {
  constructor(limit: number) {
    super(413, { detail: `Request body exceeded ${limit} bytes.` });
  }
}

export class UnsupportedMediaType extends ApiError {
  constructor(mediaType: string) {
    super(415, { detail: `Unsupported media type "${mediaType}" in request.` });
  }
}

/** 429 from a throttle, DRF's `Throttled`: the wait in whole seconds, in the text and in `Retry-After`. */
export class Throttled extends ApiError {
  constructor(readonly waitSeconds: number) {
    const unit = waitSeconds === 1 ? "second" : "seconds";
    super(
      429,
      { detail: `Request was throttled. Expected available in ${waitSeconds} ${unit}.` },
      {
        "Retry-After": String(waitSeconds),
      },
    );
  }
}

/**
 * 499 (nginx's "client closed request"): the client left before its turn to
 * hash came, so the work was dropped. Nobody reads the answer; the request
 * log shows it.
 */
export class ClientGone extends ApiError {
  constructor() {
    super(499, { detail: "The client closed the request." });
  }
}

/** 503: the server cannot do this now (database locked, hashing saturated); the client may retry. */
export class ServiceUnavailable extends ApiError {
  constructor(detail: string, retryAfterSeconds: number) {
    super(503, { detail }, { "Retry-After": String(retryAfterSeconds) });
  }
}
