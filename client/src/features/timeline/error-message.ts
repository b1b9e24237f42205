import { ApiError } from '../../api/api-error';

/** What the timeline shows for a request that failed: the server's words, or a bland line. */
export const errorMessage = (error: unknown): string => (error instanceof ApiError ? error.message : 'Something went wrong. Please try again.');
