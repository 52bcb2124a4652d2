// A delivery's body checked against the contract as it is now, outside a request (replay, drift,
// send): what the intake checks of a body, numbers beyond a double's range included, so that
// replay never hands a handler what the intake would have quarantined.
import type { ContractDocument } from './document.ts';
import { numbersOutOfRange } from './number-range.ts';
import { createSchemaValidators, type Validate } from './validation.ts';

export function createDeliveryValidator(contract: ContractDocument): Validate {
  const validateSchema = createSchemaValidators(contract)('AdaWebhookDelivery');
  return (body) => [...validateSchema(body), ...numbersOutOfRange(body)];
}
