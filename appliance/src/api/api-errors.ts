// Every failed request gets the one error body, { error: { code, message, details? } }, with the HTTP status of
// the code's row in errors.ts. Schema failures become BW_ERR_API_VALIDATION with the failing paths; fastify's own
// body errors (bad JSON, too large, wrong content type) their BW_ERR_API_* codes; anything unexpected
// BW_ERR_API_INTERNAL, logged with its cause — the server never crashes on input.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BreakwaterError, isBreakwaterError } from '../errors.js';
import type { Logger } from '../log.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(err: BreakwaterError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } };
}

export function sendError(reply: FastifyReply, err: BreakwaterError): FastifyReply {
  return reply.code(err.status).send(errorBody(err));
}

/** Maps any thrown error to a BreakwaterError with an API code. */
export function toApiError(err: unknown, request: FastifyRequest, bodyLimit: number): BreakwaterError {
  if (isBreakwaterError(err)) return err;
  const e = err as FastifyError & { validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const problems = e.validation.map((v) => ({
      path: `${e.validationContext ?? 'body'}${v.instancePath ?? ''}${typeof v.params?.missingProperty === 'string' ? `/${v.params.missingProperty}` : ''}${typeof v.params?.additionalProperty === 'string' ? `/${v.params.additionalProperty}` : ''}`,
      message: v.message ?? 'is invalid',
    }));
    return new BreakwaterError('BW_ERR_API_VALIDATION', [problems.map((p) => `${p.path} ${p.message}`).join('; ')], { details: { problems } });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BreakwaterError('BW_ERR_API_BODY_TOO_LARGE', [bodyLimit]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new BreakwaterError('BW_ERR_API_BAD_REQUEST', [e.message]);
  }
  if (e instanceof SyntaxError || (typeof e.statusCode === 'number' && e.statusCode === 400)) return new BreakwaterError('BW_ERR_API_BAD_REQUEST', [e.message]);
  if (e.statusCode === 413) return new BreakwaterError('BW_ERR_API_BODY_TOO_LARGE', [bodyLimit]);
  if (e.statusCode === 404) return new BreakwaterError('BW_ERR_API_NOT_FOUND', [`${request.method} ${request.url.split('?')[0]}`]);
  return new BreakwaterError('BW_ERR_API_INTERNAL', [request.id], { cause: err });
}

export function installErrorHandler(app: FastifyInstance, log: Logger, bodyLimit: number): void {
  app.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err, request, bodyLimit);
    if (apiError.status >= 500) log.error({ err, reqId: request.id, method: request.method, url: request.url, code: apiError.code }, 'API request failed');
    if (apiError.code === 'BW_ERR_API_RATE_LIMITED' && apiError.details?.retryAfterSeconds !== undefined) reply.header('retry-after', String(apiError.details.retryAfterSeconds));
    return sendError(reply, apiError);
  });
}
