// What the intake answers, framework-free: each adapter writes it out in its own framework's terms.
import { STATUS_CODES } from 'node:http';
import type { Acknowledgement, Problem, ValidationProblem } from '../../generated/ada-webhooks.ts';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Acknowledgement | Problem;
}

type ProblemFields = Partial<Problem> & Pick<Partial<ValidationProblem>, 'violations'>;

/** An RFC 9457 problem detail, shaped as the contract's `Problem` schema. */
export function problem(status: number, fields: ProblemFields = {}, headers: Record<string, string> = {}): Answer {
  const body: Problem = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, ...fields };
  return { status, headers: { 'content-type': 'application/problem+json', ...headers }, body };
}

export function acknowledgement(body: Acknowledgement): Answer {
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}

/** The answer to a request for the webhook path with another method than POST. */
export const methodNotAllowed = (): Answer => problem(405, {}, { allow: 'POST' });
