import { expect } from 'chai';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import * as copied from '../../src/telemetry/semconv.ts';

describe('the semantic conventions the receiver copies', () => {
  it('are those of the incubating entry of @opentelemetry/semantic-conventions, name for name', () => {
    const expected = Object.fromEntries(Object.keys(copied).map((name) => [name, (incubating as Record<string, unknown>)[name]]));
    expect({ ...copied }).to.deep.equal(expected);
  });
});
