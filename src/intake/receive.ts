// The one intake of a delivery, whatever the framework it arrives through: the checks before the
// signature, the signature (401, before anything else is looked at), the contract (422, stored in
// quarantine), then the inbox, and only then the 200. Every request gets its one log line, its
// metrics and its receive span, whose trace is stored with the delivery (see observe.ts); every
// delivery stored is also looked at for what the contract does not describe (contract drift).
import { eventTypeLabel, eventTypeOf } from '../contract/events.ts';
import type { ValidateRequest } from '../contract/operations.ts';
import type { Violation } from '../contract/validation.ts';
import { DeliveryRefused, type Inbox, type NewDelivery } from '../inbox/inbox.ts';
import { storableViolations } from '../inbox/storable.ts';
import { acknowledgement, problem, type Answer } from './answer.ts';
import type { ContractDrift } from './contract-drift.ts';
import { headerReader, headersNamed } from './headers.ts';
import { observeDelivery, type DeliveryObserver, type DeliveryRecord } from './observe.ts';
import { readDelivery } from './read-delivery.ts';
import type { IntakeRequest } from './request.ts';
import { explainSignatureFailure, type Verify } from './signature.ts';

interface IntakeOptions {
  verify: Verify;
  validate: ValidateRequest;
  inbox: Inbox;
  bodyLimitBytes: number;
  observer: DeliveryObserver;
  /** Counts what each stored delivery shows that the contract does not describe. */
  drift: ContractDrift;
  /** The 401 says which check failed (outside production): otherwise it is bare. */
  explainSignatureFailures: boolean;
  toleranceSeconds: number;
}

export type Intake = (request: IntakeRequest) => Promise<Answer>;

/** Seconds a sender should wait before retrying when the inbox cannot take a delivery. */
const retryAfterSeconds = 5;

/**
 * Besides the header set that the signature verified, what the contract and the audit see of a
 * request: the content type, which the body checks read. Its query string and every other header
 * decide nothing, as the signature does not cover them.
 */
const bodyHeaders = ['content-type'];
/**
 * Kept for audit beside those, deciding nothing: the software that sent the delivery (Svix's
 * `Svix-Webhooks/...`, a test tool), which tells an operator where a delivery came from. It is
 * stored only with a delivery whose signature holds, so only a holder of the secret chooses it.
 */
const auditOnlyHeaders = ['user-agent'];

export function createIntake(options: IntakeOptions): Intake {
  const { verify, validate, inbox, bodyLimitBytes, observer, drift } = options;
  return (request) => observeDelivery(observer, request, (record) => receive(request, record));

  async function receive(request: IntakeRequest, record: DeliveryRecord): Promise<Answer> {
    const read = await readDelivery(request, bodyLimitBytes);
    if (!read.ok) {
      Object.assign(record, { outcome: read.outcome, error: read.error });
      return read.answer;
    }
    const { bytes, text, value } = read.body;
    const header = headerReader(request.headers);
    const signature = (record.signature = verify(header, bytes));
    if (!signature.ok) {
      record.outcome = 'unauthorized';
      return problem(
        401,
        options.explainSignatureFailures ? { detail: explainSignatureFailure(signature, header, options.toleranceSeconds) } : {},
      );
    }

    record.eventType = eventTypeLabel(eventTypeOf(value));
    record.event = value;
    const contractHeaders = headersNamed(header, [...signature.headerSet, ...bodyHeaders]);
    const delivery: NewDelivery = {
      id: signature.id,
      receivedAt: new Date(),
      headers: { ...contractHeaders, ...headersNamed(header, auditOnlyHeaders) },
      body: text,
      event: value,
      traceContext: record.traceContext,
    };
    const checked = check(record, () => validate({ headers: contractHeaders, body: value }));
    const { violations } = checked;

    if (violations.length > 0) {
      const stored = await storeOr503(record, async () => {
        const outcome = await inbox.quarantine(delivery, violations);
        // A retry of a delivery that the inbox holds in another state than quarantine (done
        // before the contract was tightened, or discarded) is a duplicate like any other.
        return outcome === 'duplicate' && (await inbox.get(delivery.id))?.state !== 'quarantined' ? 'held' : outcome;
      });
      if ('status' in stored) return stored;
      if (stored.outcome === 'held') {
        record.outcome = 'duplicate';
        return acknowledgement({ status: 'duplicate', id: delivery.id });
      }
      if (stored.outcome === 'stored' && !checked.failed) drift.quarantined(delivery.id, value, violations);
      Object.assign(record, { outcome: 'quarantined', violations: violations.length });
      return problem(422, {
        title: 'Contract violation',
        detail: checked.failed
          ? 'The receiver failed to check the delivery against the contract; it was stored in quarantine.'
          : 'The delivery does not match the contract; it was stored in quarantine.',
        // As the inbox keeps them: a body that breaks the contract everywhere gets a bounded answer.
        violations: storableViolations(violations),
      });
    }

    const stored = await storeOr503(record, () => inbox.accept(delivery));
    if ('status' in stored) return stored;
    if (stored.outcome === 'stored') drift.accepted(delivery.id, value);
    record.outcome = stored.outcome === 'stored' ? 'accepted' : 'duplicate';
    return acknowledgement({ status: record.outcome, id: delivery.id });
  }
}

/**
 * The violations of a delivery; when the validator throws, one that says so, and the error for
 * the log line. The delivery is signed and parsed, so it is kept: in quarantine, where no handler
 * runs it unchecked and from where it replays once the receiver is fixed. A 500 would keep
 * nothing, and each retry would meet the same fault.
 */
function check(record: DeliveryRecord, validate: () => Violation[]): { violations: Violation[]; failed: boolean } {
  try {
    return { violations: validate(), failed: false };
  } catch (error) {
    record.error = error as Error;
    const message = `could not be checked against the contract: the receiver's validator failed (${String(error)})`;
    return { violations: [{ pointer: '', message }], failed: true };
  }
}

/** The outcome of `store`; or the 400 to answer because the inbox refused the delivery itself, or the 503 because the inbox failed. */
async function storeOr503<Outcome>(record: DeliveryRecord, store: () => Promise<Outcome>): Promise<{ outcome: Outcome } | Answer> {
  try {
    return { outcome: await store() };
  } catch (error) {
    // The delivery's log line says why, once: the store's error is what the operator must act on.
    if (error instanceof DeliveryRefused) {
      Object.assign(record, { outcome: 'refused', storeError: error.message });
      return problem(400, {
        title: 'Delivery refused',
        detail: `The inbox cannot store this delivery: ${error.message}. Nothing was stored.`,
      });
    }
    Object.assign(record, { outcome: 'unavailable', storeError: (error as Error).message });
    return problem(503, { detail: 'The inbox is unavailable; retry later.' }, { 'retry-after': String(retryAfterSeconds) });
  }
}
