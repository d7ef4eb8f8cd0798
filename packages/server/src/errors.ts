/**
 * Typed API errors. Each carries the HTTP status and the body DRF would send;
 * the error middleware (http/error-handler.ts) is the only place that turns
 * them into responses.
 */
export type ErrorBody = Record<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(typeof body.detail === "string" ? body.detail : `HTTP ${status}`);
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

/** 401 raised by authentication itself: the client sent credentials that do not work. */
export class AuthenticationFailed extends ApiError {
  constructor(detail: string) {
    super(401, { detail });
  }
}

/** 401 raised by a permission check: no credentials at all. */
export class NotAuthenticated extends ApiError {
  constructor() {
    super(401, { detail: "Authentication credentials were not provided." });
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
