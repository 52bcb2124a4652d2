import { expect } from 'chai';
import { parseTypedTime } from '../../src/support/typed-time.ts';

describe('a time that a person types to select deliveries', () => {
  it('reads ISO 8601 dates and times, as UTC unless they carry an offset', () => {
    for (const [typed, time] of [
      ['2026-11-24', '2026-11-24T00:00:00.000Z'],
      ['2026-11-24 09:00', '2026-11-24T09:00:00.000Z'],
      ['2026-11-24T09:00:30', '2026-11-24T09:00:30.000Z'],
      ['2026-11-24t09:00:30.123456z', '2026-11-24T09:00:30.123Z'],
      ['2026-11-24T09:00+05:30', '2026-11-24T03:30:00.000Z'],
      ['2024-02-29', '2024-02-29T00:00:00.000Z'],
      ['0000-06-01T00:00:00Z', '0000-06-01T00:00:00.000Z'],
      ['+275760-09-13T00:00:00Z', '+275760-09-13T00:00:00.000Z'],
    ]) {
      expect(parseTypedTime(typed!)?.toISOString(), typed).to.equal(time);
    }
  });

  it('refuses what Date would read as another time: days and hours out of range, bare numbers, words', () => {
    for (const typed of [
      '2026-02-30',
      '2025-02-29',
      '2026-11-24T24:00',
      '2026-11-24T09:60',
      '2026-11-24T09:00+24:00',
      '1',
      '12',
      'March 7 2026',
      'yesterday',
      '',
    ]) {
      expect(parseTypedTime(typed), typed).to.equal(undefined);
    }
  });
});
