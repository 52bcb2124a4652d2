import { STATUS_CODES } from 'node:http';
import type { Context } from 'koa';
import type { Problem, ValidationProblem } from '../../generated/ada-webhooks.ts';

/** Answers with an RFC 9457 problem detail, shaped as the contract's `Problem` schema. */
export function sendProblem(
  ctx: Context,
  status: number,
  fields: Partial<Problem> & Pick<Partial<ValidationProblem>, 'violations'> = {},
): void {
  const problem: Problem = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, ...fields };
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.body = problem;
}
