import type { RequestHandler, Response } from 'express';
import { HttpError } from './http-error.js';
import type { Tokens } from './tokens.js';

/** Rejects requests without a valid `Authorization: Bearer <token>`; records the caller's id. */
export function requireAuth(tokens: Tokens): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    const userId = match ? tokens.verify(match[1]!)?.userId : undefined;
    if (!userId) throw new HttpError('unauthorized', match ? 'token is malformed, expired or forged' : 'missing bearer token');
    res.locals.userId = userId;
    next();
  };
}

/** The authenticated caller's id; only valid behind requireAuth. */
export const callerId = (res: Response): string => res.locals.userId as string;
